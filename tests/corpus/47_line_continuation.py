# Backslash continuations, implicit continuation in brackets, and semicolons.
total = 1 + \
    2 + \
    3
message = ("implicit "
           "continuation "
           "inside parentheses")
matrix = [
    [1, 2],
    [3, 4],
]
options = {
    "a": 1,
    "b": 2,
}
if total > 5 and \
        len(message) > 10:
    print(total, message)
x = 1; y = 2; z = x + y
print(x, y, z); print(matrix, options)
def call(a, b,
         c=3):
    return a + b + c
print(call(1,
           2))
