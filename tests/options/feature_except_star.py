# ast-options: --feature-version 3.10
try:
    pass
except* ValueError:
    pass
x = 1
