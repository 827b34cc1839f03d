# ast-options: --feature-version 3.12 -i 1
type Alias = list[int]
def f[T](x: T) -> T:
    return x
