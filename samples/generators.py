"""Generators: a for loop over a generator specializes to FOR_ITER_GEN, and each yield suspends the generator's frame."""
def countdown(n):
    while n > 0:
        yield n
        n -= 1


def chunk_sums(n, size):
    total = 0
    for i in range(n):
        total += i
        if i % size == size - 1:
            yield total
            total = 0


total = 0
for value in countdown(5_000):
    total += value
print(total)

sums = list(chunk_sums(20_000, 1_000))
print(len(sums), sums[0], sums[-1])
