def divide(a, b):
    return a / b


print("before")
for n in range(3, -1, -1):
    print(divide(12, n))
