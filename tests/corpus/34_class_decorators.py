# Class decorators: a registry and one that adds a method.
registry = {}


def register(name):
    def decorate(cls):
        registry[name] = cls
        return cls
    return decorate


def with_repr(cls):
    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{cls.__name__}({fields})"
    cls.__repr__ = __repr__
    return cls


@register("user")
@with_repr
class User:
    def __init__(self, name, admin=False):
        self.name = name
        self.admin = admin


print(registry["user"]("ada", admin=True))
print(sorted(registry))
