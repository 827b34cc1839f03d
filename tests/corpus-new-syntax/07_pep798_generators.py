# Python 3.15 only: PEP 798 unpacking in generator expressions and nested comprehensions.
# On 3.14 this file is a SyntaxError; the goldens record that.
def flatten(rows):
    return list(*row for row in rows if row)


def merged(dicts):
    return {**d for d in dicts if d}


def pairs(rows):
    return [*(row, row) for group in rows for row in group]


print(flatten([[1, 2], [], [3]]))
print(merged([{"a": 1}, {}, {"b": 2}]))
print(pairs([[1], [2, 3]]))
