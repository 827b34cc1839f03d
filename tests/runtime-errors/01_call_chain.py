# An uncaught exception raised three calls deep: the traceback lists the outermost frame first.
def parse(text):
    return int(text)


def load(values):
    total = 0
    for v in values:
        total += parse(v)
    return total


print(load(["1", "2"]))
print(load(["3", "four"]))
