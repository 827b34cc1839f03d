import abc


def register(cls):
    return cls


class Base:
    """A base class."""

    count = 0

    def __init__(self, x, *, y=2):
        self.x = x
        self.__hidden = y
        Base.count += 1

    def describe(self):
        return f"{type(self).__name__}({self.x})"


@register
class Child(Base, metaclass=abc.ABCMeta):
    names = [n.upper() for n in ("a", "b")]
    scale = 3
    scaled = [scale * i for i in range(3)]

    def __init__(self, x):
        super().__init__(x)
        self.z = x * 2

    def describe(self):
        return "child " + super().describe()

    @property
    def total(self):
        return self.x + self.z

    @classmethod
    def make(cls):
        return cls(1)

    @staticmethod
    def helper(a, b=1, /, c=2):
        return a + b + c

    def uses_class(self):
        return __class__

    class Inner:
        def method(self):
            return self.__secret

    if scale > 2:
        big: int = 1
    else:
        small: int = 0
    value: str


class Empty:
    pass


print(Child(3).describe(), Child.make().total, Child.helper(1), Empty())
