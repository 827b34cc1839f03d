for x in y:
    pass
else:
    z
for n in y:
    for d in n:
        if d:
            break
    else:
        p
while a:
    for b in c:
        while d:
            break
        continue
