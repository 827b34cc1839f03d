# ast-options: -m eval
x = 1
