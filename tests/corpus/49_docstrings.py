"""A module with docstrings everywhere.

The first statement of a module, class or function
is its docstring.
"""


class Stack:
    """A last-in, first-out collection."""

    def __init__(self):
        '''Create an empty stack.'''
        self._items = []

    def push(self, item):
        r"""Push *item* on top. Raw docstring: \n stays literal."""
        self._items.append(item)


def undocumented():
    x = "not a docstring"
    return x


print(__doc__.splitlines()[0])
print(Stack.__doc__, Stack.push.__doc__)
print(undocumented.__doc__)
