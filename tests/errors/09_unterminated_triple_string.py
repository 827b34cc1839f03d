def f():
    """Docstring that never ends.
    return 1

print(f())
