if x:
    a: int = 1
try:
    b: str
except E:
    pass
z: float
class C:
    for i in x:
        c: int
    match y:
        case 1:
            d: int
    with z:
        e: int
    f: int
    while y:
        g: int
