import asyncio


def squares(n):
    for i in range(n):
        yield i * i


async def twice(x):
    await asyncio.sleep(0)
    return 2 * x


async def main():
    return [await twice(v) for v in squares(5)]


print(sum(squares(4000)), asyncio.run(main()))
match [1, 2]:
    case [a, b] if a < b:
        print("ordered", a, b)
    case _:
        print("other")
