"""Shallow and deep copies (cpyviz's model of copy)."""

__all__ = ["Error", "copy", "deepcopy", "replace"]


class Error(Exception):
    pass


error = Error

_atomic = (type(None), int, float, bool, complex, str, bytes, type, range,
           type(Ellipsis), type(NotImplemented), frozenset)


def _new_like(x):
    cls = type(x)
    y = object.__new__(cls)
    state = getattr(x, '__dict__', None)
    if state is not None:
        for k, v in state.items():
            setattr(y, k, v)
    for k in getattr(cls, '__slots__', ()):
        if hasattr(x, k):
            setattr(y, k, getattr(x, k))
    return y


def copy(x):
    """A shallow copy of x."""
    cls = type(x)
    if cls in _atomic or cls is tuple or callable(x) and cls.__name__ in ('function', 'builtin_function_or_method'):
        return x
    if cls in (list, dict, set, bytearray):
        return x.copy()
    copier = getattr(cls, '__copy__', None)
    if copier is not None:
        return copier(x)
    if isinstance(x, (list, dict, set)):
        return cls(x)
    return _new_like(x)


def deepcopy(x, memo=None):
    """A deep copy of x (shared parts stay shared, cycles are kept)."""
    if memo is None:
        memo = {}
    d = id(x)
    if d in memo:
        return memo[d]
    cls = type(x)
    if cls in _atomic or callable(x) and cls.__name__ in ('function', 'builtin_function_or_method'):
        return x
    copier = getattr(cls, '__deepcopy__', None)
    if copier is not None:
        y = copier(x, memo)
    elif cls is list:
        y = []
        memo[d] = y
        for a in x:
            y.append(deepcopy(a, memo))
    elif cls is tuple:
        items = [deepcopy(a, memo) for a in x]
        if d in memo:
            return memo[d]
        y = x if all(a is b for a, b in zip(items, x)) else tuple(items)
    elif cls is dict:
        y = {}
        memo[d] = y
        for k, v in x.items():
            y[deepcopy(k, memo)] = deepcopy(v, memo)
    elif cls is set:
        y = {deepcopy(a, memo) for a in x}
    else:
        y = object.__new__(cls) if not isinstance(x, (list, dict, set, tuple)) else cls()
        memo[d] = y
        state = getattr(x, '__dict__', None)
        if state is not None:
            for k, v in state.items():
                setattr(y, k, deepcopy(v, memo))
        if isinstance(x, list):
            y.extend(deepcopy(a, memo) for a in x)
        elif isinstance(x, dict):
            for k, v in x.items():
                y[deepcopy(k, memo)] = deepcopy(v, memo)
    memo[d] = y
    return y


def replace(obj, /, **changes):
    """A new object like obj with some fields changed (__replace__)."""
    cls = obj.__class__
    func = getattr(cls, '__replace__', None)
    if func is None:
        raise TypeError(f"replace() does not support {cls.__name__} objects")
    return func(obj, **changes)
