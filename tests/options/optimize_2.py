# ast-options: -O 2 -a
"""Removed at level 2."""
"A second string becomes an f-string, so it is no docstring."
def only():
    "only a docstring: a pass takes its place"
class C:
    """doc"""
    x = 1
async def f():
    "doc"
    return __debug__
lambda: __debug__
