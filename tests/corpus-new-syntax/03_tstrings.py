# PEP 750 (3.14+): template strings build Template objects instead of str.
from string.templatelib import Interpolation, Template

name = "world"
width = 8
template = t"Hello, {name!r:>{width}}!"
print(type(template).__name__, template.strings)
for part in template:
    if isinstance(part, Interpolation):
        print(part.expression, part.value, part.conversion, part.format_spec)
raw = rt"\d+ {name}"
print(raw.strings, isinstance(raw, Template))
