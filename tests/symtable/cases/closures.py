"""Closures, cells, nonlocal, global."""
import os.path as p, sys
from collections import *
g = 1

def outer(a, /, b, *args, c, d=2, **kw):
    x = 1
    y = 2
    def inner():
        nonlocal x
        x += 1
        global g
        g = y
        return a
    def gen():
        yield x
    async def co():
        await inner()
        async for i in gen():
            pass
    return inner, (lambda q, *, r=x: q + r + b)

def uses_global():
    global g2
    g2 = 3
    return g2

def deep():
    v = 1
    def mid():
        def leaf():
            return v
        return leaf
    return mid

async def agen():
    yield 1
    return

def named():
    if (n := 10) > 5:
        return [m := i for i in range(n)], m

class K:
    attr = 1
    def method(self):
        return __class__, super().method()
    def other(self):
        return attr
    [attr for _ in range(3)]
    lam = lambda: attr
    def __private(self, __x):
        self.__y = __x
        return __z

async def comps(seq):
    a = [x for x in seq if x]
    b = {x: y for x, y in seq}
    c = {x for x in seq}
    d = (x for x in seq)
    e = [[y for y in x] for x in seq]
    f = [lambda: x for x in seq]
    g = [x async for x in seq] if seq else None
    return a, b, c, d, e, f, g

try:
    pass
except Exception as exc:
    del exc

with open("f") as (h1, h2):
    pass

match g:
    case [1, *rest]:
        pass
    case {"k": v, **kw}:
        pass
    case K(attr=av) as whole:
        pass
