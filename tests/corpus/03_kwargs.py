# Calling with keyword arguments in any order.
def describe(name, age, city="nowhere"):
    return f"{name} ({age}) from {city}"


print(describe("Ada", 36))
print(describe(age=41, name="Alan"))
print(describe("Grace", city="Arlington", age=85))

total = 0
for i in range(10_000):
    total += len(describe(name="x", age=i))
print(total)
