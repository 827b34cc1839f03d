# Python 3.15 only: unpacking in comprehensions (PEP 798) and lazy imports (PEP 810).
# On 3.14 this file is a SyntaxError; the goldens record that.
lazy import json

rows = [[1, 2], [3], []]
print([*row for row in rows])
print({*row for row in rows})
print({**d for d in [{"a": 1}, {"b": 2}]})
print(json.dumps({"lazy": True}))
