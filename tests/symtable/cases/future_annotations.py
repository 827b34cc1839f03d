from __future__ import annotations

x: int = 1

def f(a: Undefined) -> Other:
    b: Local = 2
    return a, b

class C:
    attr: C
    if x:
        cond: int
    def m(self) -> C:
        return self
