class Cells:
    base = 10
    funcs = [lambda: n + base for n in range(3)]
    klass = [__class__ for _ in range(1)]
    ann: [q for q in range(base)]
    nested = [[m for m in range(k)] for k in range(2)]

    def method(self):
        return [__class__ for _ in range(1)], [super() for _ in range(1)]


class __Mangled[__T, U: list[__T]]:
    __slot: __T
    def __m(self, __a: __T) -> U:
        __b = __a
        return [__c for __c in __b], self.__slot


def walrus_global():
    global counter
    return [counter := counter + i for i in range(3)]


def walrus_nested():
    return [[(last := i + j) for j in range(2)] for i in range(2)], last


def cell_del():
    x = 1
    def use():
        return x
    del x
    return use


class Outer:
    name = "outer"
    class Inner:
        def get(self):
            return name, Outer
    def helper(self):
        def nested():
            return name
        return nested


def gen_in_comp():
    return [(y for y in range(i)) for i in range(3)]


def lambda_in_genexp(xs):
    return (lambda: x for x in xs)


class GenericMethods:
    attr = int
    def meth[T: attr](self, x: T) -> attr:
        return x
    type Al[S] = list[attr | S]
