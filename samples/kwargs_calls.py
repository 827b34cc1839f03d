"""Calls with keyword arguments and defaults: CALL vs CALL_KW."""
def clamp(value, low=0, high=100):
    if value < low:
        return low
    if value > high:
        return high
    return value


def scale(value, *, factor=2, offset=0):
    return value * factor + offset


total = 0
for i in range(5_000):
    total += clamp(i - 50, high=60)
    total += scale(i, factor=3)
    total += clamp(i)
print(total)
print(scale(7, offset=1), clamp(-5, low=-1))
