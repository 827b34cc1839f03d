# `python -m ast` reads type comments; `compile()` (and so `python -m dis`) does not.
def f(a,  # type: int
      b,  # type: str
      ):
    # type: (...) -> None
    x = []  # type: list[int]
    for i in a:  # type: int
        pass
    with open(b) as fh:  # type: object
        pass
def g(a, b):  # type: (int, str) -> bool
    return True  # type: ignore[return-value]
