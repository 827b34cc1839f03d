# ast-options: --feature-version 3.13
try:
    pass
except A, B:
    pass
