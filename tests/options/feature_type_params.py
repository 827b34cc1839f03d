# ast-options: --feature-version 3.11
def f[T: int, *Ts](x: T) -> T:
    return x
