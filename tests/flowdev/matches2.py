match s:
    case C(D(a, b), [c, *d], e=E(f=g) | F(g)) if a:
        pass
    case {"a": 1, "b": [x, y], **kw} | {"c": (x, y, kw)}:
        pass
    case [1, 2, *_] | (3, *_, 4, 5):
        z
    case [*_, a] | [a, *_]:
        pass
    case [a, [b, *c], d] as whole if d:
        pass
    case (1 | 2 | 3) as n:
        pass
    case [x, y, *rest]:
        pass
    case {True: t, None: n, b"x": bb, 1.5: f, -2: m}:
        pass
    case str() | bytes():
        pass
    case [_, *_, _]:
        pass
    case [*_]:
        pass
    case [*xs]:
        pass
    case (a, b) if a and b:
        pass
    case x:
        pass
match s:
    case 1:
        pass
match s:
    case 1 if x:
        pass
    case _ if y:
        pass
match s:
    case [a, b] | [b, a] | [a, b, _]:
        pass
    case {"x": x, "y": y} | {"y": y, "x": x} | C(y=y, x=x):
        pass
    case (a, b, c) | (c, b, a) | (b, c, a) | (c, a, b):
        pass
