class C:
    for i in x:
        try:
            break
        except E as e:
            continue
    match y:
        case [a, *b] if a:
            pass
        case {"k": __v}:
            pass
    with q as __r:
        pass
def outer():
    v = 1
    def inner():
        nonlocal v
        try:
            pass
        except E as v:
            pass
        match 1:
            case v:
                pass
        for v in x:
            pass
        with a as v:
            pass
    return inner
def cells():
    try:
        pass
    except E as e:
        return lambda: e
