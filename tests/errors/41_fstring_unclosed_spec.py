"""A format spec the string ends in: CPython expects the closing brace or more of the spec."""
width = 8
label = f"{width:>10"
