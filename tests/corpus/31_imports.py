# Import forms: import, import as, from-import, from-import as.
import math
import itertools as it
from functools import reduce, lru_cache as cache
from collections import Counter, deque


@cache(maxsize=None)
def fact(n):
    return 1 if n < 2 else n * fact(n - 1)


print(math.sqrt(16), math.pi > 3)
print(list(it.islice(it.count(10, 5), 3)))
print(reduce(lambda a, b: a * b, range(1, 6)), fact(10))
print(Counter("mississippi").most_common(2))
queue = deque([1, 2, 3], maxlen=3)
queue.append(4)
print(queue)
