x = [1, 2, 3]
y = (1, 2, 3)
z = {1, 2, 3}
w = [a, 1, *b, c]
a[1:2]
a[b:c]
a[::2]
a[b:c] = 1
del a[b:c]
a < b < c
a.b(c, d=1)
f(*a, **k)
f(a, *b, c=1, **d)
f'{a!r:>{w}} x {b}'
a.b.c = 1
a[1] += 2
a.b -= 1
a[b:c] *= 2
x, *y, z = a
[p, q] = r
del a, b.c, d[e]
