# ast-options: --feature-version 3.7
def f(a, /, b=1, *, c):
    pass
