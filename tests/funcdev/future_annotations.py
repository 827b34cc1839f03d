"""Module docstring."""
from __future__ import annotations

from typing import Optional

x: list[int] = []
y: dict[str, int | None]
z: "quoted"
w: tuple[int, ...] = ()
v: Optional[A.b[c]]
u: tuple[()] = ()


def f(a: int, /, b: str = "s", *args: float, c: list[int | str] = None, **kw: dict) -> Optional[int]:
    local: int = 5
    return local


def g(x, y):
    pass


class C:
    a: int
    b: C | None = None

    def method(self, other: C) -> list[C]:
        self.attr: int = 1
        return [self]


obj = C()
obj.thing: int = 3
print(f.__annotations__, C.__annotations__, __annotations__)
