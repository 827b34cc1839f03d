x = a and b and c
y = a or b or c
z = not a
w = a < b
v = (a == b) == c
x = a if not b else c
x = a if b and c else d
x = a if b or c else d
x = a if (b if c else d) else e
x = a if b < c < d else e
x = a if not (b < c < d) else e
x = a if (y := b) else c
