# Built-in iteration helpers: enumerate, zip, reversed, sorted, range.
names = ["ada", "alan", "grace"]
years = [1815, 1912, 1906]
for i, name in enumerate(names, start=1):
    print(i, name)
for name, year in zip(names, years):
    print(f"{name} was born in {year}")
print(list(reversed(names)), sorted(years, reverse=True))
print(list(range(10, 0, -3)), dict(zip(names, years)))
print(list(zip(*[(1, "a"), (2, "b")])))
it = iter([1, 2, 3])
print(next(it), list(it), next(it, "exhausted"))
