# assert statements and del on names, items, attributes and slices.
def mean(values):
    assert len(values) > 0, "need at least one value"
    return sum(values) / len(values)


print(mean([1, 2, 3]))
try:
    mean([])
except AssertionError as exc:
    print("assertion failed:", exc)

inventory = {"apples": 3, "pears": 0, "plums": 7}
del inventory["pears"]
temp = [1, 2, 3, 4]
del temp[0], temp[-1]
print(inventory, temp)


class Box:
    pass


box = Box()
box.label = "fragile"
del box.label
print(hasattr(box, "label"))
x = 1
del x
print("x" in globals())
