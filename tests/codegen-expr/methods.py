import os
import os.path as osp
from math import sqrt


class Base:
    def __init__(self, a, *args, **kw):
        self.a = a
        self.b, self.c = args[:2]
        self.d += 1
        self.e: int = 3
        self.f.g = 4
        other.h = 5
        del self.i

    def m(self, x):
        return super().m(x) + super().attr

    def n(self):
        return super(Base, self).n(k=1) + super(Base, self).v

    @classmethod
    def c(cls):
        return super().c()

    def inner(self):
        def f():
            self.z = 1
            return __class__
        class Inner:
            def g(self):
                self.y = 2
        return f, Inner


def free():
    super().x
    return os.getcwd(), os.path.join("a", "b"), osp.join("c"), sqrt(2)


def locals_(a, b=1, *c, d, **e):
    x = a.real
    x.y = b
    x[a] = c
    x[a:b] = d
    a, *b = e
    x += a
    x.y -= b
    x[a] *= c
    x[a:b] /= d
    del x.y, x[a], x[a:b]
    f(a, *c, d=d, **e)
    a.m(b, c, k=d)
    print(f"{a!r:>{b}}", x if a else b, a and b or not c)
    return [a, *c], {a: b, **e}, {*c}, (a, b), a < b < c, -a, +a, ~a


def nonlocal_():
    v = 1
    def g():
        nonlocal v
        v += 1
        v.x += 1
        return v
    return g


def walrus(data):
    if (n := len(data)) > 10:
        return n
    while (chunk := data.read()):
        pass
    return [y for x in data if (y := x)]


def any_all(xs):
    return all(x for x in xs), any(x > 0 for x in xs), tuple(x for x in xs), list(x for x in xs), set(x for x in xs)


def shadow(all):
    return all(x for x in [1])
