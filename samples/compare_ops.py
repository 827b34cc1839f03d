"""Comparisons: COMPARE_OP specializes by operand type (COMPARE_OP_INT, COMPARE_OP_FLOAT, COMPARE_OP_STR)."""
def count_below(limit, names):
    ints = floats = strs = 0
    for i in range(20_000):
        if i < limit:
            ints += 1
        if i * 0.5 < limit * 0.5:
            floats += 1
        if names[i % 3] != "skip":
            strs += 1
    return ints, floats, strs


print(count_below(10_000, ["low", "mid", "high"]))
