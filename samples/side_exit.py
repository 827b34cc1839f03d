"""Side exits: a branch that flips half way through a hot loop makes the trace's guard fail and exit to a side trace."""
def classify(n):
    small = 0
    large = 0
    i = 0
    while i < n:
        if i < n // 2:
            small += 1
        else:
            large += 2
        i += 1
    return small, large


print(classify(20_000))
