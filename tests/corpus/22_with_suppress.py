# A context manager that swallows an exception, and contextlib-free cleanup.
class Suppress:
    def __init__(self, *kinds):
        self.kinds = kinds

    def __enter__(self):
        return None

    def __exit__(self, exc_type, exc, tb):
        return exc_type is not None and issubclass(exc_type, self.kinds)


with Suppress(ZeroDivisionError):
    print(1 / 0)
print("still running")

with Suppress(KeyError, IndexError):
    [][3]
print("done")
