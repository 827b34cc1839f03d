"""Valid: blanks after a conversion, before the format spec or the closing brace."""
name = "cpyviz"
print(f"{name!r }|{name!s :>8}|{name = !a }")
