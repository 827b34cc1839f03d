# Generator functions with yield, and delegation with yield from.
def countdown(n):
    while n > 0:
        yield n
        n -= 1


def fibonacci(limit):
    a, b = 0, 1
    while a < limit:
        yield a
        a, b = b, a + b


def chain(*iterables):
    for it in iterables:
        yield from it


print(list(countdown(5)))
print(list(fibonacci(100)))
print(list(chain("ab", [1, 2], countdown(2))))
print(sum(fibonacci(10 ** 6)), sum(countdown(10_000)))
