# Default parameter values, and the classic mutable-default pitfall.
def power(base, exponent=2):
    return base ** exponent


def append_to(item, bucket=None):
    if bucket is None:
        bucket = []
    bucket.append(item)
    return bucket


print(power(3), power(2, 10))
print(append_to(1), append_to(2))
print(append_to(3, [0]))
