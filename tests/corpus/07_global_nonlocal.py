# global and nonlocal declarations.
counter = 0


def bump():
    global counter
    counter += 1


def outer():
    value = "outer"

    def inner():
        nonlocal value
        value = "changed by inner"
    inner()
    return value


for _ in range(10):
    bump()
print(counter)
print(outer())
