# ast-options: -m single
a = (1,
     2)

# a comment
b
