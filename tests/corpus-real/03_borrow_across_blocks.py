"""Borrowed loads after a try statement (3.15 follows empty blocks) and after a comprehension."""


def after_try(x):
    x = g(x)
    try:
        x = int(x)
    except (ValueError, TypeError):
        raise ValueError(repr(x))
    return h(x)


def after_assert(self, from_name, name):
    if from_name is None:
        assert name is not None
        path = self.find(name)
        names = [m for m in path]
        return names
    return 1
