# Positional-only (/) and keyword-only (*) parameters.
def divide(a, b, /, *, round_to=None):
    result = a / b
    if round_to is not None:
        result = round(result, round_to)
    return result


def make_range(start, stop, /, step=1, *, inclusive=False):
    if inclusive:
        stop += step
    return list(range(start, stop, step))


print(divide(10, 4), divide(1, 3, round_to=3))
print(make_range(1, 5), make_range(1, 5, 2, inclusive=True))
try:
    divide(a=1, b=2)
except TypeError as exc:
    print("a and b are positional-only:", type(exc).__name__)
