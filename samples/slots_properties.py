"""Attribute loads: LOAD_ATTR specializes differently for instance dict values, __slots__, properties and methods."""
class Plain:
    def __init__(self, x):
        self.x = x

    def get(self):
        return self.x


class Slotted:
    __slots__ = ("x",)

    def __init__(self, x):
        self.x = x


class Boxed:
    def __init__(self, x):
        self._x = x

    @property
    def x(self):
        return self._x


def total_of(plain, slotted, boxed, n):
    total = 0
    for _ in range(n):
        total += plain.x + slotted.x + plain.get()
    for _ in range(n):
        total += boxed.x
    return total


print(total_of(Plain(1), Slotted(2), Boxed(3), 20_000))
