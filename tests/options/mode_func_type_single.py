# ast-options: -m func_type
((a, b)) -> c
