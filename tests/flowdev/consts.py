if 0:
    a
if __debug__:
    b
while 1:
    c
    break
while 0:
    d
if not True:
    e
elif "":
    f
assert 0
assert (a, b)
assert not x, "msg"
if a if b else c:
    g
while a or b and not c:
    h
if (a < b < c):
    i
