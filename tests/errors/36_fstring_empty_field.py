"""A replacement field with no expression (the built-in parser alone would read an empty tuple)."""
name = "cpyviz"
print(f"hello {} from {name}")
