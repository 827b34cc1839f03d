"""An assignment expression whose target is an attribute."""
class P:
    pass


p = P()
if (p.x := 3) > 2:
    print(p.x)
