# A small hierarchy of custom exception classes.
class ShopError(Exception):
    pass


class OutOfStock(ShopError):
    def __init__(self, item, wanted):
        super().__init__(f"only {wanted - 1} {item} left")
        self.item = item


stock = {"apple": 3}


def buy(item, count):
    if stock.get(item, 0) < count:
        raise OutOfStock(item, stock.get(item, 0) + 1)
    stock[item] -= count


for item, count in [("apple", 2), ("apple", 2), ("pear", 1)]:
    try:
        buy(item, count)
        print("bought", count, item)
    except ShopError as exc:
        print("failed:", exc, "|", exc.item)
