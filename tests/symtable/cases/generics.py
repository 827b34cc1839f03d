type Alias = list[int]
type Gen[T] = dict[T, int]

def first[T](xs: list[T]) -> T:
    return xs[0]

def bounded[T: int, *Ts, **P](a: T = 1, *, b: int = 2) -> T:
    return a

class Box[T: (int, str)]:
    item: T
    def get(self) -> T:
        return self.item
    type Inner = T
    def meth[U](self, u: U) -> U:
        return u

class __Priv[__T]:
    def f(self, x: __T): return __T

def outer():
    v = 1
    class Local[S]:
        w = v
    type A[Q] = (Q, v)
    return Local, A
