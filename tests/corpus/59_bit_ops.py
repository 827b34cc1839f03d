# Bitwise operators: &, |, ^, ~, <<, >>.
flags = 0b0000
READ, WRITE, EXEC = 0b001, 0b010, 0b100
flags |= READ | EXEC
print(bin(flags), bool(flags & WRITE), bool(flags & EXEC))
flags &= ~EXEC
print(bin(flags), flags ^ 0b111, ~0, ~5)
print(1 << 10, 1024 >> 3, -16 >> 2, 0xF0 & 0x3C, 0xF0 | 0x0F)


def popcount(n):
    count = 0
    while n:
        n &= n - 1
        count += 1
    return count


print([popcount(n) for n in range(9)], (255).bit_count())
print(sum(popcount(n) for n in range(4096)))
