try:
    a
except E as e:
    b
except:
    c
else:
    d
finally:
    f
try:
    a
except E:
    pass
try:
    x
finally:
    y
for i in x:
    try:
        break
    finally:
        g
for i in x:
    try:
        continue
    except E as e:
        break
    except:
        continue
try:
    a
except* E as e:
    b
except* F:
    c
else:
    d
try:
    a
except* E:
    b
finally:
    c
