# Generator expressions are lazy: values are produced on demand.
numbers = range(1, 11)
total = sum(n * n for n in numbers)
any_big = any(n > 9 for n in numbers)
all_positive = all(n > 0 for n in numbers)
gen = (c.upper() for c in "lazy")

print(total, any_big, all_positive)
print(next(gen), next(gen), list(gen))
print(max((len(w), w) for w in "the quick brown fox".split()))
print(sum(i for i in range(10_000) if i % 3 == 0))
