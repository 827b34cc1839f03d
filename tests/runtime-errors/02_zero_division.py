# Dividing by zero inside an expression: the carets point at the operator.
def ratio(a, b):
    scale = 100
    return scale * a / b + 1


print(ratio(1, 4))
print(ratio(1, 0))
