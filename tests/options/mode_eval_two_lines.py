# ast-options: -m eval
a

b
