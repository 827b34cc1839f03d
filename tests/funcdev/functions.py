def outer(a, b=1, *args, c, d=4, **kw):
    """Docstring here."""
    total = a + b

    def inner(e=total):
        nonlocal total
        total += e
        return total

    return inner


def gen(n):
    for i in range(n):
        if i == 3:
            return i
        yield i
    return -1


def with_blocks(path):
    for line in path:
        try:
            return line
        finally:
            print("done")
    while True:
        with open(path) as f:
            return f.read()


def closures():
    fns = [lambda: x for x in range(3)]
    y = 5
    return [f() for f in fns], (lambda q=y, *r, s=1, **t: q + y)


async def fetch(session, urls):
    results = []
    for u in urls:
        results.append(await session.get(u))
    async with session:
        pass
    return results


async def agen(xs):
    for x in xs:
        yield x
        await x


def delegate(it):
    yield from it
    value = yield
    return value


counter = 0


def bump():
    global counter
    counter += 1
    return counter


@outer
@staticmethod
def decorated():
    return None


square = lambda v: v * v
print(outer(1, c=3)(), list(gen(5)), square(3), bump())
