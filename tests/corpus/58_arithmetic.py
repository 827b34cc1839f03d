# Arithmetic operators: **, //, %, divmod and operator precedence.
print(2 ** 10, 2 ** 0.5, -2 ** 2, (-2) ** 2, 2 ** -2)
print(17 // 5, 17 % 5, -17 // 5, -17 % 5, divmod(17, 5), divmod(-17, 5))
print(17.5 // 2, 17.5 % 2, 7 / 2, 6 / 3)
print(1 + 2 * 3, (1 + 2) * 3, 2 * 3 ** 2, -3 ** 2, 10 - 4 - 3)
print(abs(-7), round(3.14159, 2), round(2.5), round(3.5), pow(3, 4, 5))
print(max(3, 1, 4), min([3, 1, 4]), sum([0.1] * 10) == 1.0)

acc = 0
for i in range(1, 10_000):
    acc = (acc + i * i) % 1_000_007
print(acc)
