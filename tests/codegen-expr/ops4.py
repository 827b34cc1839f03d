a = b = c
x = a.b.c.d
y = (a.
     b)
z = (a
     .b
     .c())
a.b[c].d = e
del x[1:2], y[::2]
r = a[1, 2]
s = a[b, c:d]
t = a[...]
u = {}
v = {**a}
w = {**a, **b}
f(a, b, c=d, e=f)
f(**k)
f(a, **k, b=c)
f(*a, *b)
g = a.b(*c)
h = a.b(**c)
i = a.b(x=1, **c)
j = -x ** 2
k = a @ b
l = a // b % c
m = a << b >> c | d ^ e & f
n = x if y else z if w else v
o = (a or b) and (c or d) and not e
p = a is not b
q = a not in b
r2 = a != b >= c <= d > e
s2 = [*a, *b]
t2 = {*a}
u2 = (*a,)
v2, = w2
[a, [b, *c]] = d
(a, b), c = d
*a, b = c
x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32]
y = (a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a)
d = {1: a, 2: a, 3: a, 4: a, 5: a, 6: a, 7: a, 8: a, 9: a, 10: a, 11: a, 12: a, 13: a, 14: a, 15: a, 16: a, 17: a}
f(a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a)
o.m(a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a)
f(a=1, b=1, c=1, d=1, e=1, f=1, g=1, h=1, i=1, j=1, k=1, l=1, m=1, n=1, o=1, p=1)
print(f"{'a' * 3}" "x" f"{y!a:{z}.{w}}")
x = "%5s|%-3r|%.2a|%%" % (a, b, c)
x = "%s %s" % (a,)
x = "%d" % (a,)
x += 1
x.y **= 2
x[1:2] //= 3
x[y] @= z
