# Numeric literals: hex, octal, binary, underscores, floats, exponents, complex.
print(0xFF, 0o17, 0b1011, 0XaB, 0O7, 0B1)
print(1_000_000, 0x_dead_beef, 0b_1111_0000)
print(3.14, 10., .5, 1e3, 2.5E-3, 1_000.000_1)
print(3j, 2.5j, 1e2j, 1 + 2j, (1 + 2j) * (3 - 1j))
print(0, 00, 0_0, 7 / 2, 7 // 2, -7 // 2, 7 % 3, -7 % 3)
print(2 ** 100, 2 ** -1, (-2) ** 3, 2 ** 3 ** 2)
print(int("ff", 16), float("inf") > 1e308, round(2.675, 2))
