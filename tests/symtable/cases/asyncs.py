import a.b.c
import d.e as de

async def agen(xs):
    async for x in xs:
        yield x
    await something()

async def comps(xs):
    gen = (await y for y in xs)
    lst = [y async for y in xs]
    nested = [[z async for z in y] for y in xs]
    async with ctx() as (p, q):
        pass
    return gen, lst, nested, p, q

def plain_gen():
    x = yield
    yield from range(x)
    return x

def defaults(a=lambda: 1, *, b=(lambda c=2: c)):
    try:
        pass
    except* ValueError as eg:
        del eg
    return a, b

def shadow():
    def shadow():
        return shadow
    return shadow

def free_aug():
    n = 0
    def bump():
        nonlocal n
        n += 1
        del n
    return bump
