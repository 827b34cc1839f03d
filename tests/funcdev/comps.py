data = [3, 1, 2]
x = "outer"
squares = {v: v * v for v in data if v}
unique = {v % 2 for v in data}
nested = [[a * b for b in data] for a in data]
pairs = [(a, b) for a in data if a > 1 for b in [a] if b]
gen = (str(v) for v in data for w in data)
walrus = [y := v for v in data]
print(x, squares, unique, nested, pairs, list(gen), walrus, y)


def in_function(items, key):
    x = 1
    cells = [lambda: x for x in items]
    total = sum(k for k in items if k != key)
    best = max((len(s), s) for s in items)
    return cells, total, best, [x for _ in items]


async def in_async(src):
    a = [v async for v in src]
    b = {v: w async for v, w in src}
    c = [await v for v in src]
    d = (v async for v in src)
    return a, b, c, d


class Holder:
    factor = 2
    values = [factor * v for v in range(3)]
    table = {k: k for k in values}
