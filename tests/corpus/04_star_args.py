# *args and **kwargs: collecting and spreading arguments.
def collect(*args, **kwargs):
    return args, sorted(kwargs.items())


def total(first, *rest):
    result = first
    for value in rest:
        result += value
    return result


print(collect(1, 2, x=3, y=4))
numbers = [1, 2, 3, 4]
options = {"sep": " | ", "end": "\n"}
print(*numbers, **options)
print(total(*numbers), total(10))
print(collect(*"ab", **{"k": 1}))
