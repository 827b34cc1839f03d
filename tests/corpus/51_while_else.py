# while/else and for/else: the else runs when the loop was not broken.
def find_divisor(n):
    candidate = 2
    while candidate * candidate <= n:
        if n % candidate == 0:
            break
        candidate += 1
    else:
        return None
    return candidate


for n in [15, 17, 49, 97]:
    print(n, find_divisor(n))

primes = 0
for n in range(2, 3000):
    for d in range(2, n):
        if d * d > n:
            primes += 1
            break
        if n % d == 0:
            break
    else:
        primes += 1
print(primes)
