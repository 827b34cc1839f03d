# An exception inside a generator surfaces where the consumer pulls the next value.
def evens(limit):
    n = 0
    while n < limit:
        yield 10 // (n - 4)
        n += 2


for v in evens(10):
    print(v)
