# A custom exception class with its own __str__.
class OutOfStock(Exception):
    def __init__(self, item, left):
        super().__init__(item, left)
        self.item = item
        self.left = left

    def __str__(self):
        return f"only {self.left} {self.item} left"


stock = {"apple": 1}


def take(item, n):
    if stock[item] < n:
        raise OutOfStock(item, stock[item])
    stock[item] -= n


take("apple", 1)
take("apple", 1)
