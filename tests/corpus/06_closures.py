# Closures capture variables from the enclosing function.
def make_multiplier(factor):
    def multiply(x):
        return x * factor
    return multiply


def make_counter():
    count = 0

    def increment():
        nonlocal count
        count += 1
        return count
    return increment


double = make_multiplier(2)
triple = make_multiplier(3)
print(double(5), triple(5))
counter = make_counter()
for _ in range(10_000):
    counter()
print(counter())
