"""A format spec with a field and no expression in it."""
width = 8
print(f"{3.14159:{}.{width}}")
