"""Float arithmetic: the midpoint rule integrates x*x from 0 to 1 (exact answer 1/3)."""
def integrate_square(steps):
    width = 1.0 / steps
    area = 0.0
    for i in range(steps):
        x = (i + 0.5) * width
        area += x * x * width
    return area


result = integrate_square(10_000)
print(f"{result:.6f}")
print(round(abs(result - 1 / 3), 9))
