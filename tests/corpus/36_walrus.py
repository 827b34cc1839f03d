# Assignment expressions (the walrus operator :=).
data = [3, 8, 1, 9, 4, 12, 7]

if (n := len(data)) > 5:
    print(f"list is long ({n} elements)")

big = [y for x in data if (y := x * 2) > 10]
print(big)

chunks = iter(["alpha", "beta", "", "gamma"])
while (chunk := next(chunks)) != "":
    print("chunk:", chunk)

print(total := sum(data), total // n)
