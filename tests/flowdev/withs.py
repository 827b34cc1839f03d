with a as b, c:
    d
with a:
    pass
for i in x:
    with a:
        break
while y:
    with a as b:
        continue
