# async def and await, driven by hand with .send(None) (no asyncio needed).
class Ready:
    """An awaitable that completes immediately with a value."""

    def __init__(self, value):
        self.value = value

    def __await__(self):
        return self.value
        yield  # makes __await__ a generator


async def fetch(n):
    return await Ready(n * 10)


async def main():
    results = []
    for n in range(3):
        results.append(await fetch(n))
    return results


coro = main()
try:
    coro.send(None)
except StopIteration as done:
    print("result:", done.value)
