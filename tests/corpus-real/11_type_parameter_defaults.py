# PEP 696 type parameter defaults: each `= default` is read by the converter.
def f[T = int, *Ts = *tuple[int, ...], **P = [int, str]](): pass
class C[T: (int, str) = "int", U = list["]"]]: pass
type A[T = dict[str, int], U=T] = list[T]
def g[
    T = int,  # comment
    S = str,
](): return 1
