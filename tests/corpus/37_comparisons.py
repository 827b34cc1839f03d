# Chained comparisons, is / is not, in / not in, and None checks.
x = 5
print(1 < x < 10, 1 < x > 10, 0 <= x <= 5 == 5)
print(x == 5.0, x != 5, "a" < "b" < "c")

value = None
print(value is None, value is not None, not value)
print(3 in [1, 2, 3], "z" not in "abc", "ell" in "hello")
print(2 in {1: "a", 2: "b"}, (1, 2) < (1, 3), [1, 2] == [1, 2])

hits = 0
for i in range(10_000):
    if 100 <= i < 200 or i in (7, 3000):
        hits += 1
print(hits)
