"""Comments inside the replacement fields of multi-line f-strings and t-strings."""
x, y = 6, 7
template = t"""{
    x  # the first factor
    * y  # the second
}"""
print(template.interpolations[0].expression)
print(f"""{x # kept out of the debug text
=}""")
