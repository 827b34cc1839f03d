if a:
    b
elif c:
    d
else:
    e
while x:
    if y: break
    continue
else:
    z
while True:
    pass
if not a and (b or c):
    pass
