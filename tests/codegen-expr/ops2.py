import os
f(*a)
os.path.join(a, b)
x.y(*a)
z = (y := 3)
q = a if b else c
r = a and b or c
d = {1: 2, **e, 3: 4}
s = {*a, 1}
t = (*a, 1)
u = ()
v = f'{a}'
w = f''
