"""An unknown \\N name in the format spec of an f-string (a UnicodeDecodeError, not a SyntaxError)."""
pi = 3.14159
print(f"{pi:\N{nope}}")
