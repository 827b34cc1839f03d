# A taste of itertools and functools from the standard library.
import itertools
import functools
import operator

print(list(itertools.accumulate([1, 2, 3, 4])))
print(list(itertools.chain([1, 2], "ab")))
print(list(itertools.product("ab", repeat=2)))
print(list(itertools.combinations(range(4), 2)))
print([(k, len(list(g))) for k, g in itertools.groupby("aaabccdd")])
print(functools.reduce(operator.mul, range(1, 8)))
double = functools.partial(operator.mul, 2)
print(double(21), list(map(double, range(4))))


@functools.cache
def paths(rows, cols):
    if rows == 0 or cols == 0:
        return 1
    return paths(rows - 1, cols) + paths(rows, cols - 1)


print(paths(16, 16))
