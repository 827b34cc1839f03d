from __future__ import annotations

a: x if y else z
b: lambda q, /, r=1, *s, t, u=2, **v: q + r
c: (lambda: 0)
d: not x and y or z
e: -x ** -y ** 2
f: (a + b) * c - d / e // f % g @ h
g: a << b >> c & d ^ e | f
h: x < y <= z != w is not v in u not in t
i: f(a, *b, c=1, **d)
j: f(x for x in y)
k: [x for x in y if z if w]
l: {k: v for k, v in items}
m: {s for s in t}
n: {1: 2, **rest}
o: {1, 2}
p: x[1:2, ::3, :]
q: tuple[*Ts]
r: tuple[int, *Ts]
s: f"a{b!r:>{width}}c{{d}}"
u: 1 .real
v: 1.5e300 * 1e309
x2: u"text"
y2: b"bytes"
z2: ~x + +y
aa: (a, b)
bb: a[()]
dd: ((a if b else c) if d else e)
ee: (a or b) and c
ff: 2j
gg: x.y.z[0](1)(2)
hh: (x for x in y)
ii: [*a, *b]
