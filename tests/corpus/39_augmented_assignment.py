# Every augmented assignment operator.
n = 100
n += 5
n -= 3
n *= 2
n //= 3
n %= 50
n **= 2
n <<= 3
n >>= 1
n &= 0xFF
n |= 0x100
n ^= 0b1010
print(n)

f = 10.0
f /= 4
print(f)

text = "ab"
text *= 3
items = [1]
items += [2, 3]
print(text, items)

m = [[1, 2], [3, 4]]
m[0][1] += 10
print(m)
