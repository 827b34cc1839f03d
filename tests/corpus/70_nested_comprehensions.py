# Nested and conditional comprehensions, and names they shadow.
x = "outer"
matrix = [[row * 3 + col for col in range(3)] for row in range(3)]
flat = [v for row in matrix for v in row if v % 2 == 0]
pairs = {(a, b) for a in range(3) for b in range(a)}
lookup = {k: [c for c in k] for k in ("ab", "cd")}
total = sum(v * v for row in matrix for v in row)
print(x, matrix, flat, sorted(pairs), lookup, total)


def scaled(rows, factor):
    return [[v * factor for v in row] for row in rows if row]


print(scaled(matrix, 2))
