# match with class patterns, guards and or-patterns.
class Point:
    __match_args__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


def where(shape):
    match shape:
        case Point(0, 0):
            return "origin"
        case Point(x, 0) | Point(0, x):
            return f"on an axis at {x}"
        case Point(x, y) if x == y:
            return "on the diagonal"
        case Point(x=x, y=y):
            return f"somewhere ({x}, {y})"
        case int() | float() as number:
            return f"a number {number}"


for s in [Point(0, 0), Point(5, 0), Point(0, 2), Point(3, 3), Point(1, 2), 7, 2.5]:
    print(where(s))
