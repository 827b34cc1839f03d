# Tuple unpacking: swapping, starred targets and nested patterns.
a, b = 1, 2
a, b = b, a
print(a, b)

first, *middle, last = range(6)
print(first, middle, last)

(x, y), [z, *rest] = (1, 2), [3, 4, 5]
print(x, y, z, rest)

*init, tail = "hello"
print(init, tail)

for index, (key, value) in enumerate({"k1": "v1", "k2": "v2"}.items()):
    print(index, key, value)

merged = [*range(3), *"ab"]
combined = {**{"a": 1}, "b": 2, **{"a": 3}}
print(merged, combined)
