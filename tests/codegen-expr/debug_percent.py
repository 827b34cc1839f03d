def f():
    __debug__
    x = __debug__
    return __debug__
def g(a):
    if __debug__ and a:
        return 1
    assert __debug__, "m"
    return (__debug__, 1)
print(f"{__debug__}", a[__debug__:], a[1:2:__debug__])
x = "%s:%r" % (__debug__, (1, 2))
y = "%-5s!" % ("a",)
z = "a%%b%s" % ("c",)
w = "%s" "%s" % (1, 2)
v = "%" % ()
u = "%s" % ()
t = "%(a)s" % (1,)
