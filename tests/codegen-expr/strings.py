a = f"x{b}y{c!r}z{d:>10}"
b = f"{a}"
c = f"{a!s}"
d = f"{a=}"
e = f"{a:{b}}"
g = f"{'''nested'''}"
h = rb"raw" b"bytes"
i = "a" "b" 'c'
k = f"{{}}{a}"
