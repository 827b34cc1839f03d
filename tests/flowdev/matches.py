match s:
    case 1 | 2:
        pass
    case [x, *y]:
        pass
    case {"k": v, **rest}:
        pass
    case C(1, a=b) if b:
        pass
    case None:
        pass
    case (p, q) | [q, p]:
        pass
    case [1, *_, 2]:
        pass
    case [_, _]:
        pass
    case {}:
        pass
    case Point(x=0, y=yy) as pt:
        pass
    case -1 | 1+2j | -1.5-3j:
        pass
    case {1: _, "a": [q, *r]}:
        pass
    case _:
        pass
match t:
    case x if x:
        pass
    case _:
        pass
match u:
    case _:
        pass
match w:
    case [a, b] | (b, a) | {"x": a, "y": b}:
        pass
    case q:
        pass
