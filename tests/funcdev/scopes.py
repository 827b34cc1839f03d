names = ["a", "b"]


class Config:
    names = ["x"]
    keys = [n for n in range(3) if n in names]
    pairs = {k: [names for _ in range(k)] for k in keys}
    gen = (k for k in keys if k)
    lookup = [lambda: n for n in names]

    def method(self):
        def helper():
            return super().method()

        items = [self.value for _ in names]
        return helper, items, [lambda: self for _ in names]

    try:
        flag: bool = True
    except Exception:
        flag: bool = False
    with open(__file__) as fh:
        text: str
    match names:
        case [first, *rest]:
            head: str = first


def cells(n):
    n = [n for n in range(n)]
    x = 0
    fs = [lambda: x for x in n]
    y = [x for _ in n]
    return fs, y, [(lambda: n) for n in n]


def shadow():
    value = 1

    def inner():
        return [value for value in range(value)]

    return inner


def walrus_scope(items):
    if any((found := v) > 1 for v in items):
        return found
    return [last := w for w in items], last


print(Config().method, cells(3), shadow()(), walrus_scope([1, 2]))
