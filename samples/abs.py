"""Absolute difference: the walkthrough's example of a function the JIT compiles."""
def abs(a: int, b: int) -> int:
    if a > b:
        return a - b
    return b - a


total = 0
for i in range(20_000):
    total += abs(i, 10_000)
print(total)
