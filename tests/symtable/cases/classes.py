"""Class scopes: __class__, __classdict__, DEF_FREE_CLASS, comprehensions in classes."""

def factory(base):
    shared = 1
    hidden = 2

    class Made(base):
        shared = 3
        global gvar
        gvar = 4

        def method(self):
            return shared, hidden, gvar

        def sup(self):
            def inner():
                return super().sup()
            return inner

        cells = [lambda: i for i in range(3)]
        gen = (shared for _ in range(2))
        comp = [__class__ for _ in range(1)] if False else None

        class Nested:
            def deeper(self):
                nonlocal hidden
                hidden = 5
                return __class__

        if shared:
            note: int = 1
        with open("f") as fh:
            other: str

        type Alias = list[Made]

        def generic[T: shared](self, x: T) -> T:
            return x

        lam = lambda self, k=shared: k + hidden

    return Made


class Plain:
    x = 1
    y = [x for _ in range(2)]
    z = [[w for w in range(x)] for _ in range(2)]

    def walrus(self):
        return [last := v for v in range(3)], last


def walrus_module():
    return [(total := total + v) for v in range(3)]


total = 0
values = [t := v for v in range(3)]
