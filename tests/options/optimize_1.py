# ast-options: -O 1
"""The module docstring stays at level 1."""
print(__debug__)
if __debug__:
    pass
s = 'a%sb%rc%5.2a' % (x, y, z)
t = '%s and %d' % (a, b)
u = '%-3s|%%' % (v,)
match w:
    case -1 | 1 + 2j | -3.5 - 4j:
        pass
    case {-1: a, 2 - 3j: b}:
        pass
    case [-2, *_]:
        pass
