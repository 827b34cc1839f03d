# Plain functions: definition, call, return values.
def greet(name):
    return "Hello, " + name + "!"


def add(a, b):
    return a + b


def nothing():
    pass


print(greet("world"))
print(add(2, 3), add("ab", "cd"))
print(nothing())
