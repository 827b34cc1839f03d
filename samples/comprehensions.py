"""List comprehensions: inlined into their function since 3.12 (PEP 709), each item added with LIST_APPEND."""
def squares(n):
    return [i * i for i in range(n)]


def pairs(n):
    return {i: str(i) for i in range(n)}


big = squares(10_000)
print(len(big), big[:5], big[-1])
print(pairs(4))
