"""A conversion followed by something other than a format spec or the closing brace."""
name = "cpyviz"
print(f"{name!r=}")
