# break and continue in nested loops.
total = 0
for i in range(10_000):
    if i % 2:
        continue
    if i > 9000:
        break
    total += i
print(total)

for row in range(3):
    for col in range(3):
        if col == row:
            continue
        if col > 1:
            break
        print((row, col), end=" ")
print()

n = 0
while True:
    n += 1
    if n < 10:
        continue
    break
print(n)
