# Relative imports are only legal inside a package, so they live in a function that never runs.
import collections.abc
from math import (
    floor,
    ceil,
)


def load_plugins():
    from . import plugins
    from .. import core as base
    from .helpers.text import slugify, title_case as tc
    from ...deep import names
    return plugins, base, slugify, tc


print(floor(2.7), ceil(2.1))
print(isinstance([], collections.abc.Sequence))
print(callable(load_plugins))
