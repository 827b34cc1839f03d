f = lambda: (yield)
g = lambda: (yield from range(3))


async def coro(x, y):
    await x
    return [i async for i in y]


g2 = (a for a in b for c in d)


async def nested_gen(y):
    return (i async for i in y), [await z async for z in y if await z], {k async for k in y}


class C:
    x: [i for i in y]
    z = [j for j in w]
    q: {k: v for k, v in w}


def outer():
    def gen():
        x = yield 1
        y = yield from gen()
        return x, y

    return gen, (lambda: (yield 2))


async def agen():
    async for v in source():
        yield v
    async with ctx() as c, ctx2():
        yield c
    return


def deco(*a, **k):
    return lambda f: f


@deco(1, *[2], key=3, **{"x": 4})
class D(*bases, metaclass=type, **extra):
    pass


@deco()
async def decorated_async():
    pass
