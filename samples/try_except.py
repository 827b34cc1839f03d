"""Exceptions in a loop: try costs nothing until something raises (the exception table), and except unwinds to the handler."""
def parse_all(items):
    good = 0
    bad = 0
    for item in items:
        try:
            good += int(item)
        except ValueError:
            bad += 1
    return good, bad


data = [str(i) if i % 10 else "x" for i in range(5_000)]
print(parse_all(data))
