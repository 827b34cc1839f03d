for i in x:
    try:
        a
    except E as e:
        try:
            b
        finally:
            break
    except F:
        continue
for i in x:
    try:
        a
    finally:
        if b:
            break
        else:
            continue
while y:
    with a as b, c as d:
        try:
            pass
        except E as e:
            with f:
                break
try:
    try:
        a
    except E:
        raise
    finally:
        b
except F as f:
    pass
with a:
    with b:
        for i in c:
            with d as e:
                continue
try:
    pass
except* E as e:
    pass
except* F:
    try:
        pass
    except G as g:
        pass
