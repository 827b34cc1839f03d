def p(x):
    try:
        return x()
    finally:
        return x
def q(x):
    for a in x:
        try:
            return x()
        finally:
            if a:
                break
            with a:
                continue
def r(x):
    try:
        return x()
    finally:
        try:
            return x + 1
        except E as e:
            return e()
def s(x):
    while x:
        try:
            pass
        except E:
            try:
                break
            finally:
                return x()
def t(x):
    try:
        pass
    except* E:
        pass
    finally:
        return x()
async def u(x):
    async with x as y:
        async for z in y:
            try:
                return z()
            finally:
                async with z:
                    break
def v(x):
    with x:
        try:
            return x()
        finally:
            with x:
                return x()
