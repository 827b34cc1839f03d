"""A small class: __init__, attribute loads/stores and a method called in a loop."""
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def dist2(self, other):
        dx = self.x - other.x
        dy = self.y - other.y
        return dx * dx + dy * dy


origin = Point(0, 0)
points = [Point(i % 7, i % 11) for i in range(100)]
far = 0
for i in range(5_000):
    d = points[i % 100].dist2(origin)
    if d > far:
        far = d
print(far)
