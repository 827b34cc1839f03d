# pass and ... as placeholders.
class Empty:
    pass


class Protocol:
    def method(self): ...

    def other(self):
        ...


def todo():
    pass


if True:
    pass
else:
    ...

for _ in range(2):
    pass

print(type(Empty()).__name__, Protocol().method(), todo(), ..., Ellipsis is ...)
