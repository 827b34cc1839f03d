from typing import Optional

x: int
y: list[int] = []
obj = type("O", (), {})()
obj.attr: int = 3
table = {}
table["k"]: str
table[1:2, ::3]: float

if x := 1:
    cond: int = 2


def f(a: int, /, b: "str" = "s", *args: int, c: float = 1.0, **kw: dict) -> Optional[int]:
    local: int = 5
    return local


def g(*args, **kwargs):
    pass


class C:
    __slots__ = ()
    a: int
    __private: str = "p"

    for i in range(2):
        looped: int

    def method(self, v: "C") -> None:
        self.v: int = v


print(f.__annotations__, C.__annotations__)
