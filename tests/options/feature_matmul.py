# ast-options: --feature-version 3.4
x = a @ b  # a comment
