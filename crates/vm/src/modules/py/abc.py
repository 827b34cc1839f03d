"""Abstract base classes (cpyviz's model of the abc module).

ABCMeta is a Python metaclass, as in CPython; its registry, caches and the
computation of __abstractmethods__ are native (_abc).
"""

from _abc import (get_cache_token, _abc_init, _abc_register,
                  _abc_instancecheck, _abc_subclasscheck,
                  _reset_registry, _reset_caches)


def abstractmethod(funcobj):
    """Mark a method abstract: a class that keeps it cannot be instantiated."""
    funcobj.__isabstractmethod__ = True
    return funcobj


class abstractclassmethod(classmethod):
    __isabstractmethod__ = True

    def __init__(self, callable):
        callable.__isabstractmethod__ = True


class abstractstaticmethod(staticmethod):
    __isabstractmethod__ = True

    def __init__(self, callable):
        callable.__isabstractmethod__ = True


class abstractproperty(property):
    __isabstractmethod__ = True


class ABCMeta(type):
    """The metaclass of abstract base classes."""

    def __new__(mcls, name, bases, namespace, /, **kwargs):
        cls = type.__new__(mcls, name, bases, namespace, **kwargs)
        _abc_init(cls)
        return cls

    def register(cls, subclass):
        """Make subclass a virtual subclass of cls."""
        return _abc_register(cls, subclass)

    def __instancecheck__(cls, instance):
        return _abc_instancecheck(cls, instance)

    def __subclasscheck__(cls, subclass):
        return _abc_subclasscheck(cls, subclass)

    def _abc_registry_clear(cls):
        _reset_registry(cls)

    def _abc_caches_clear(cls):
        _reset_caches(cls)


def update_abstractmethods(cls):
    """Recompute __abstractmethods__ after methods were added to cls."""
    if not hasattr(cls, '__abstractmethods__'):
        return cls
    names = set()
    for base in cls.__bases__:
        for name in getattr(base, '__abstractmethods__', ()):
            value = getattr(cls, name, None)
            if getattr(value, '__isabstractmethod__', False):
                names.add(name)
    for name, value in cls.__dict__.items():
        if getattr(value, '__isabstractmethod__', False):
            names.add(name)
    cls.__abstractmethods__ = frozenset(names)
    return cls


class ABC(metaclass=ABCMeta):
    """A helper class: subclass it to make an abstract base class."""
    __slots__ = ()
