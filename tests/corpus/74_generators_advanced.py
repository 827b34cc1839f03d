# yield from, generator return values, try/finally in a generator, and send.
def inner():
    received = yield 1
    yield received * 2
    return "inner done"


def outer():
    try:
        result = yield from inner()
        yield result
    finally:
        print("outer closed")


gen = outer()
print(next(gen), gen.send(21), next(gen))
gen.close()


def windows(seq, size):
    for i in range(len(seq) - size + 1):
        yield tuple(seq[i : i + size])


print(list(windows([1, 2, 3, 4], 2)))
