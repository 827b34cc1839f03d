# List comprehensions, with conditions and nesting.
squares = [n * n for n in range(10)]
evens = [n for n in squares if n % 2 == 0]
pairs = [(x, y) for x in range(3) for y in range(3) if x != y]
matrix = [[row * 3 + col for col in range(3)] for row in range(3)]
flat = [cell for row in matrix for cell in row]
labels = ["even" if n % 2 == 0 else "odd" for n in range(4)]

print(squares)
print(evens)
print(pairs)
print(matrix, flat)
print(labels)
print(sum([i % 7 for i in range(10_000)]))
