from typing import Protocol


class Base[K, V]:
    pass


class Mapping[K: str, V, *Ts, **P](Base[K, V], Protocol, total=True):
    __private: int

    def get[D](self, key: K, default: D = None, *, strict: bool = False) -> V:
        return default

    def __mangled[__X](self, x: __X) -> __X:
        return x

    type Alias[Q] = dict[K, Q]


def pair[A, B: (int, str)](a: A, b: B = 1, *, c: A = None) -> tuple[A, B]:
    return a, b


@staticmethod
def decorated[T](x: T) -> T:
    return x


type Nested[T] = list[Nested[T]] | T
type Simple = lambda: Simple
print(Mapping.__type_params__, pair(1), Nested.__value__)
