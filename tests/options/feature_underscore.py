# ast-options: --feature-version 3.5
x = 1_000 @ y
