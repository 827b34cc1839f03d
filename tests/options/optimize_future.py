# ast-options: -O 1 -a
from __future__ import annotations
x: __debug__ = __debug__
def f(a: __debug__ = __debug__) -> __debug__:
    return __debug__
