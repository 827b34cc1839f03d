# Type annotations on variables, parameters and return values.
from collections import OrderedDict

limit: int = 10
names: list[str] = ["ada", "alan"]
pending: dict[str, int | None]
ratio: float


def scale(values: list[float], factor: float = 2.0) -> list[float]:
    return [v * factor for v in values]


def first(items: "list[str]", default: str | None = None) -> str | None:
    return items[0] if items else default


class Cache:
    store: OrderedDict

    def __init__(self) -> None:
        self.store = OrderedDict()


print(scale([1.0, 2.5]), first(names), first([], "none"))
print(scale.__annotations__["factor"].__name__, type(Cache().store).__name__)
