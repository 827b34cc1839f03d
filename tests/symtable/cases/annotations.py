from typing import Any
x: int = 1
y: "str"
z.attr: int = 2
if x:
    w: float

def f(a: int, b: list[int] = [], *c: str, d: Any, **e: dict) -> None:
    local: int = 1
    other: Undefined
    return local

class C:
    a: int
    b: C = None
    for i in range(2):
        c: list
    def m(self, p: int) -> C:
        q: int = p
        return q
    def n(self): pass

class D:
    "doc"
    def __init__(self): "doc too"

def g():
    class Inner:
        v: int
        u: g
    return Inner
