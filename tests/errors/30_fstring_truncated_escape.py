"""A truncated \\x escape in the text of an f-string."""
name = "cpyviz"
print(f"{{{name}}} \x4 {name!r}")
