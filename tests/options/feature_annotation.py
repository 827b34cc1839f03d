# ast-options: --feature-version 3.5
x: int  # comment
