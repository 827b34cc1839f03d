# return, break and continue inside try/finally and with blocks.
def first_even(values):
    for v in values:
        try:
            if v % 2 == 0:
                return v
            if v < 0:
                break
        finally:
            print("checked", v)
    return None


def count_until(limit):
    n = 0
    while True:
        try:
            n += 1
            if n >= limit:
                break
            continue
        except ValueError as exc:
            print("bad", exc)
        else:
            pass
    return n


print(first_even([1, 3, 4, 5]), count_until(3))
