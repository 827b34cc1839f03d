# PEP 758 (3.14+): except and except* may list several types without parentheses.
def risky(n):
    if n == 0:
        raise ValueError("zero")
    if n == 1:
        raise TypeError("one")
    return n


for n in range(3):
    try:
        print(risky(n))
    except ValueError, TypeError:
        print("caught", n)

try:
    raise ExceptionGroup("group", [KeyError("k"), OSError("o")])
except* KeyError, IndexError:
    print("lookup errors handled")
except* OSError as group:
    print("os errors:", len(group.exceptions))
