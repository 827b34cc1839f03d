# ast-options: -m func_type
(int) -> x, y
