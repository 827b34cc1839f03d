# Calling a function with too many arguments, and a builtin method with one it refuses.
def area(w, h):
    return w * h


print(area(2, 3))
print("abc".upper())
print(area(2, 3, 4))
