"""Global and builtin names: LOAD_GLOBAL specializes to LOAD_GLOBAL_MODULE or LOAD_GLOBAL_BUILTIN, guarded by dict versions."""
SCALE = 3


def weigh(values):
    total = 0
    for v in values:
        total += abs(v) * SCALE
    return total


print(weigh(range(-3_000, 3_000)))
