def f(a, b, c, *args, k=1, **kw):
    x = a[b][c]
    x = a[b:c:2]
    x = a[:]
    x = a[::]
    x = a[1:]
    x = a[:-1]
    x = a[b:]
    x = a[b, 1:2]
    x = a[1:2, ::3]
    a[b][c] = x
    a[b:c] = x
    a[::2] = x
    del a[::2], a[b:c]
    x = {**kw}
    x = {a: b, **kw, c: 1}
    x = f(*args)
    x = f(*args, *args)
    x = f(a, *args, b)
    x = f(**kw, **kw)
    x = f(k=1, **kw, j=2)
    x = a.b(*args)
    x = a.b(**kw)
    x = (yield)
    x = a if b else (c if a else b)
    x = not not a
    x = -(-a)
    x = a ** -b
    x = (a, b) + (c,)
    x = [a][0]
    x = {a}
    x = {a: b for a in b}
    x = "" % ()
    x = "%s" % (a,)
    x = "%5.2s|%-10r|%+a|%#s|%0s| %s" % (a, b, c, a, b, c)
    x = "%s%%" % (a,)
    x = "%d" % (a,)
    x = "%s %s" % (a, *b)
    x = "%123s" % (a,)
    x = "%.123s" % (a,)
    x = "%s" % (a, b)
    x = "%s %s" % (a,)
    x = b"%s" % (a,)
    x = f"{a}{b}{c}"
    x = f"{a:>{b}.{c}}"
    x = f"{a!a}"
    x = f"{a=!r:>5}"
    x = f"{x:{y}}"
    return x


def g():
    x = 1
    def h():
        nonlocal x
        x += 1
        x, y = 1, 2
        [x, *y] = 1, 2, 3
        (x, (y, z)) = 1, (2, 3)
        del x
    return h


class C:
    x = 1
    y = x + 1
    z = [x for _ in range(3)]
    def m(self):
        return self.x, C.x, __class__
    def n(self, other):
        other.q = 1
        self.r: int
        self.s: int = 2
        (self).t = 3
        self.u, [self.v, *self.w] = 1, [2, 3]
        for self.p in range(3): pass
        with open(f) as self.o: pass
        self.aa += 1
        self.bb[0] = 1
        return super().n(other)
    def __eq__(self, other):
        return (super().__eq__(other), super().__class__, super(C, self).__eq__)
    @staticmethod
    def s():
        return super().s()


def varargs_super(*args):
    return super().x


def lam():
    return lambda self: super().x


async def co(a):
    x = [i async for i in a]
    return await a.b(await a)
