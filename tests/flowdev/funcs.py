def f(x):
    for i in x:
        return i
    for i in x:
        return 1
    while x:
        return
def g(x):
    try:
        return x()
    finally:
        x = 2
def h(x):
    with x as y:
        return y
    with x:
        return None
def k(x):
    try:
        pass
    except E as e:
        return e
    except F:
        return x
def m(x):
    try:
        pass
    finally:
        return x
def n(x):
    for a in x:
        try:
            for b in a:
                with b as c:
                    try:
                        return c
                    except E as e:
                        return e
        finally:
            return a
async def af(x):
    async for i in x:
        return i
    async for i in x:
        break
    else:
        pass
    async with x as y:
        return y
    async with x as y, y as z:
        for i in z:
            return i
async def ag(x):
    async for i in x:
        async for j in i:
            continue
        break
def gen(x):
    for i in x:
        yield i
    try:
        yield 1
    finally:
        return 2
def mt(x):
    match x:
        case [a, b]:
            return a
        case {"k": v}:
            return v
        case C(z=z):
            pass
        case _:
            return None
