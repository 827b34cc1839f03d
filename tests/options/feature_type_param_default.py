# ast-options: --feature-version 3.12
def f[T = int](): pass
