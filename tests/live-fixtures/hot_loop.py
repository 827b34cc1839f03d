def add_one(x):
    return x + 1


total = 0
for i in range(5000):
    total += add_one(i)
print(total)
