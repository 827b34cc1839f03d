a[-1:]
x = -1
y = 2*3
z = (1, -2)
w = "a" + "b"
v = not True
u = 1 if True else 2
