# async for and async with, defined and driven manually.
class Ticker:
    def __init__(self, n):
        self.n = n

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n == 0:
            raise StopAsyncIteration
        self.n -= 1
        return self.n

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


async def collect():
    async with Ticker(3) as ticker:
        return [tick async for tick in ticker]


try:
    collect().send(None)
except StopIteration as stop:
    print(stop.value)
