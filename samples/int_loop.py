"""Summing integers in a for/range loop: BINARY_OP specializes to int addition."""
def sum_to(n):
    total = 0
    for i in range(n):
        total += i
    return total


print(sum_to(10))
print(sum_to(20_000))
