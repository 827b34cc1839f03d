import enum
class Color(enum.Enum):
    RED = 1
match s:
    case Color.RED | Color.RED.value:
        pass
    case {Color.RED: a, "b": 2, **rest}:
        pass
    case [x, *_, y, z]:
        pass
    case [*_, y]:
        pass
    case [x, *_]:
        pass
    case [1, [2, ([a] | (a,))], b] if b:
        pass
    case C(_, _, a, _, k=_):
        pass
    case C():
        pass
    case {"a": {"b": [c, {"d": d}]}}:
        pass
    case 10000000000000000000000000000 | -10000000000000000000000000000:
        pass
    case 0.5 | -0.0 | 0j | -0j | 1-0j:
        pass
    case "abc" | b"abc" | True | False | None:
        pass
    case {"x": 1} | {"y": 2}:
        pass
    case _ if s:
        pass
def f(s):
    match s:
        case (a, b, *c) if c:
            return a
        case [*_] as whole:
            return whole
    match s:
        case _ if s:
            return 1
    match s:
        case x:
            return x
