a = None[0], ...[0], True[0], 1.5[0], 1j[0], {1}[0], {x for x in y}[0], (x for x in y)[0], (lambda: 0)[0]
b = "s"[1.0], b"b"["k"], (1, 2)[None], [1][()], [x for x in y][[]], f"{a}"[{}], "s"[x], "s"[1:2], "s"[True]
c = (1)(), (1,)(), [](), [x for x in y](), {}(), {x: x for x in y}(), set()(), {1}(), f"{a}"(), "s"(), None()
d = x is (), x is (1, 2), x is (a, 1), x is not 1.0, 1 is x, x is None, x is ..., x is True, x is -1, x is "s"
def f():
    return all(x is 1 for x in y)
e = "s"[__debug__], __debug__[0], x is __debug__
g = (1, 2)()
h = x is y is 1, x is 1 is y
x = __debug__()
