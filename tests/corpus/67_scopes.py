# Name resolution: local, enclosing, global and built-in scopes (LEGB).
x = "global x"


def outer():
    x = "enclosing x"

    def inner():
        print("inner sees:", x)

    def shadow():
        x = "local x"
        print("shadow sees:", x)

    inner()
    shadow()
    return x


print(outer())
print(x, len("builtins still work"))
print([x for x in range(3)], x)


class Scope:
    y = 10
    values = [y * 2]
    print("class body sees", y, values)
