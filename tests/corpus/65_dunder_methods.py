# Operator overloading with special methods on a small vector class.
class Vector:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __add__(self, other):
        return Vector(self.x + other.x, self.y + other.y)

    def __mul__(self, k):
        return Vector(self.x * k, self.y * k)

    __rmul__ = __mul__

    def __abs__(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5

    def __bool__(self):
        return bool(self.x or self.y)

    def __repr__(self):
        return f"Vector({self.x}, {self.y})"


v = Vector(3, 4)
print(v + v, v * 2, 3 * v, abs(v), bool(Vector(0, 0)))
acc = Vector(0, 0)
for i in range(10_000):
    acc = acc + Vector(1, i % 3)
print(acc)
