"""Enumerations (cpyviz's model of enum): Enum, IntEnum, StrEnum, auto, unique.

As in CPython, EnumType is a Python metaclass: __prepare__ collects the members
in order, __call__ looks a value up, __iter__/__len__/__getitem__ act on the
members.
"""

__all__ = ['EnumType', 'EnumMeta', 'Enum', 'IntEnum', 'StrEnum', 'auto',
           'unique', 'ReprEnum']


class auto:
    """Stands for the next value: 1, 2, 3 … (StrEnum: the member's name, lowered)."""

    def __init__(self):
        self.value = None

    def __repr__(self):
        return 'auto(%r)' % self.value


def _is_descriptor(obj):
    return (isinstance(obj, (property, classmethod, staticmethod))
            or hasattr(type(obj), '__get__') or hasattr(type(obj), '__set__')
            or hasattr(type(obj), '__delete__'))


class _EnumDict(dict):
    """A class body's namespace that records the members' names in order."""

    def __init__(self):
        self._member_names = []
        self._last_values = []
        self._generate = None

    def __setitem__(self, key, value):
        if key == '_generate_next_value_':
            self._generate = value
        elif key.startswith('_') or _is_descriptor(value) or callable(value) and not isinstance(value, auto):
            pass
        else:
            if key in self._member_names:
                raise TypeError(f'{key!r} already defined as {self[key]!r}')
            if isinstance(value, auto):
                if value.value is None:
                    gen = self._generate or _default_next_value
                    value.value = gen(key, 1, len(self._member_names), self._last_values[:])
                value = value.value
            self._member_names.append(key)
            self._last_values.append(value)
        dict.update(self, {key: value})


def _default_next_value(name, start, count, last_values):
    if not last_values:
        return start
    try:
        return last_values[-1] + 1
    except TypeError:
        return count + start


class EnumType(type):
    """The metaclass of enumerations."""

    @classmethod
    def __prepare__(metacls, cls, bases, **kwds):
        d = _EnumDict()
        for base in bases:
            gen = getattr(base, '_generate_next_value_', None)
            if gen is not None:
                d._generate = gen
                break
        return d

    def __new__(metacls, cls, bases, classdict, **kwds):
        names = list(getattr(classdict, '_member_names', ()))
        ns = {}
        for key, value in classdict.items():
            if key not in names:
                ns[key] = value
        enum_class = type.__new__(metacls, cls, bases, ns, **kwds)
        member_type = object
        for base in enum_class.__mro__[1:]:
            if base is not object and not isinstance(base, EnumType):
                member_type = base
                break
        enum_class._member_names_ = []
        enum_class._member_map_ = {}
        enum_class._value2member_map_ = {}
        enum_class._member_type_ = member_type
        custom_init = '__init__' in ns or any('__init__' in b.__dict__ for b in bases
                                               if isinstance(b, EnumType) and b.__name__ not in ('Enum', 'IntEnum', 'StrEnum', 'ReprEnum'))
        for name in names:
            value = classdict[name]
            args = value if isinstance(value, tuple) else (value,)
            if member_type is object:
                member = object.__new__(enum_class)
                member._value_ = value
            else:
                member = member_type.__new__(enum_class, *args)
                member._value_ = member_type(*args)
            member._name_ = name
            if custom_init:
                enum_class.__init__(member, *args)
            existing = None
            for other in enum_class._member_map_.values():
                if other._value_ == member._value_:
                    existing = other
                    break
            if existing is not None:
                member = existing
            else:
                enum_class._member_names_.append(name)
                try:
                    enum_class._value2member_map_[member._value_] = member
                except TypeError:
                    pass
            enum_class._member_map_[name] = member
            type.__setattr__(enum_class, name, member)
        return enum_class

    def __call__(cls, value, *args, **kwds):
        if isinstance(value, cls):
            return value
        try:
            return cls._value2member_map_[value]
        except (KeyError, TypeError):
            for member in cls._member_map_.values():
                if member._value_ == value:
                    return member
        result = cls._missing_(value)
        if isinstance(result, cls):
            return result
        raise ValueError(f'{value!r} is not a valid {cls.__qualname__}')

    def __iter__(cls):
        return (cls._member_map_[name] for name in cls._member_names_)

    def __reversed__(cls):
        return (cls._member_map_[name] for name in reversed(cls._member_names_))

    def __len__(cls):
        return len(cls._member_names_)

    def __contains__(cls, value):
        if isinstance(value, cls):
            return True
        return any(m._value_ == value for m in cls._member_map_.values())

    def __getitem__(cls, name):
        return cls._member_map_[name]

    def __bool__(cls):
        return True

    def __repr__(cls):
        return f'<enum {cls.__name__!r}>'

    @property
    def __members__(cls):
        return dict(cls._member_map_)

    def __setattr__(cls, name, value):
        if name in cls.__dict__.get('_member_map_', {}) if False else name in getattr(cls, '_member_map_', {}):
            raise AttributeError(f'cannot reassign member {name!r}')
        type.__setattr__(cls, name, value)


EnumMeta = EnumType


class Enum(metaclass=EnumType):
    """A set of named, constant members: class Color(Enum): RED = 1."""

    def __repr__(self):
        return f'<{self.__class__.__name__}.{self._name_}: {self._value_!r}>'

    def __str__(self):
        return f'{self.__class__.__name__}.{self._name_}'

    def __format__(self, spec):
        return format(str(self), spec)

    def __hash__(self):
        return hash(self._name_)

    def __reduce_ex__(self, proto):
        return self.__class__, (self._value_,)

    @classmethod
    def _missing_(cls, value):
        return None

    @property
    def name(self):
        return self._name_

    @property
    def value(self):
        return self._value_


class ReprEnum(Enum):
    """An Enum whose str() and format() are its value's."""


class IntEnum(int, ReprEnum):
    """An Enum whose members are ints."""

    def __str__(self):
        return repr(self._value_)

    def __format__(self, spec):
        return format(self._value_, spec)

    def __hash__(self):
        return hash(self._value_)


class StrEnum(str, ReprEnum):
    """An Enum whose members are strs."""

    def __str__(self):
        return self._value_

    def __format__(self, spec):
        return format(self._value_, spec)

    def __hash__(self):
        return hash(self._value_)

    @staticmethod
    def _generate_next_value_(name, start, count, last_values):
        return name.lower()


def unique(enumeration):
    """Class decorator: refuse aliases (two names for one value)."""
    duplicates = [(name, member.name) for name, member in enumeration.__members__.items()
                  if name != member.name]
    if duplicates:
        details = ', '.join(f'{alias} -> {name}' for alias, name in duplicates)
        raise ValueError(f'duplicate values found in {enumeration!r}: {details}')
    return enumeration
