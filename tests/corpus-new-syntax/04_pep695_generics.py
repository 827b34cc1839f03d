# PEP 695 (3.12+): type parameter syntax and the type statement.
type Pair[T] = tuple[T, T]
type Number = int | float


def first[T](items: list[T]) -> T:
    return items[0]


class Box[T]:
    def __init__(self, item: T) -> None:
        self.item = item

    def get(self) -> T:
        return self.item


def largest[N: (int, float), *Ts, **P](values: list[N]) -> N:
    return max(values)


print(first([3, 1]), Box("x").get(), largest([2, 7.5]))
print(Pair.__value__, Number.__name__, Box.__type_params__)
