# ast-options: --feature-version 3.13
x = t'{a}' if b else c
