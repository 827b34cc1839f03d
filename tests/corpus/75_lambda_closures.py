# Lambdas capturing loop variables, default-argument binding, and nested closures.
adders = [lambda x, n=n: x + n for n in range(3)]
print([f(10) for f in adders])


def counter():
    count = 0

    def bump(step=1):
        nonlocal count
        count += step
        return count

    def peek():
        return count

    return bump, peek


bump, peek = counter()
bump()
bump(5)
print(peek(), (lambda: peek() * 2)())
key = sorted(["bb", "a", "ccc"], key=lambda s: (len(s), s))
print(key)
