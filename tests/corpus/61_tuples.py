# Tuples: packing, immutability, methods and as dict keys.
point = 3, 4
single = (5,)
empty = ()
print(point, single, empty, type(single).__name__, len(empty))
print(point + (5,), point * 2, point.count(3), point.index(4))
distances = {(0, 0): "origin", (3, 4): "five away"}
print(distances[point], (1, 2) < (1, 2, 0), max((2, "b"), (2, "a")))
try:
    point[0] = 10
except TypeError as exc:
    print("immutable:", exc)
nested = ((1, 2), (3, (4, 5)))
print(nested[1][1][0], tuple("abc"), tuple(range(3)))
