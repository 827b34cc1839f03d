class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm2(self):
        return self.x * self.x + self.y * self.y


def make_counter():
    count = 0

    def bump():
        nonlocal count
        count += 1
        return count

    return bump


bump = make_counter()
acc = 0.0
for k in range(3000):
    p = Point(k, k + 1)
    acc += p.norm2() / (bump() + 0.5)
print(round(acc, 3), bump())
