"""Closures: a nested function reads and rebinds its parent's variable through a cell (LOAD_DEREF, STORE_DEREF)."""
def make_counter(step):
    count = 0

    def bump():
        nonlocal count
        count += step
        return count

    return bump


counter = make_counter(3)
last = 0
for _ in range(5_000):
    last = counter()
print(last)
print(counter(), make_counter(10)())
