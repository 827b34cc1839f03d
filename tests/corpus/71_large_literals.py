# Constants: folding, big tuples, long strings, negative numbers and many names.
SECONDS_PER_DAY = 24 * 60 * 60
MASK = (1 << 16) - 1
NEG = -5
POWERS = (2 ** 10, 2 ** 20, -(2 ** 3))
GREETING = "hello, " + "world"
WIDE = "=" * 20
SMALL = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
BIG = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32)
FLOATS = [0.5, -0.0, 1e300, float("inf")]
MIXED = {1: "one", 2.0: "two", "three": 3, None: False}
print(SECONDS_PER_DAY, MASK, NEG, POWERS, GREETING, WIDE, SMALL, len(BIG), FLOATS, MIXED)
print(not True, -(-3), ~0, 7 // 2, 7 % 3, 2.5 * 4)
