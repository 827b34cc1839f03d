"""Data classes (cpyviz's model of dataclasses).

As in CPython, the generated methods are Python functions compiled from source
text (here by the private _cpyviz.exec_source), so __init__ takes the fields
as its own parameters and calls to the class specialize as CPython's do.
"""

from _cpyviz import exec_source as _exec_source

__all__ = ['dataclass', 'field', 'Field', 'FrozenInstanceError', 'InitVar',
           'KW_ONLY', 'MISSING', 'fields', 'asdict', 'astuple',
           'make_dataclass', 'replace', 'is_dataclass']


class FrozenInstanceError(AttributeError):
    pass


class _MISSING_TYPE:
    def __repr__(self):
        return 'MISSING'


MISSING = _MISSING_TYPE()


class _KW_ONLY_TYPE:
    def __repr__(self):
        return 'KW_ONLY'


KW_ONLY = _KW_ONLY_TYPE()


class InitVar:
    def __init__(self, type):
        self.type = type

    def __class_getitem__(cls, type):
        return InitVar(type)


class Field:
    """One field of a dataclass."""

    def __init__(self, default, default_factory, init, repr, hash, compare,
                 metadata, kw_only, doc=None):
        self.name = None
        self.type = None
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.hash = hash
        self.compare = compare
        self.metadata = {} if metadata is None else metadata
        self.kw_only = kw_only
        self.doc = doc

    def __repr__(self):
        return (f'Field(name={self.name!r},type={self.type!r},'
                f'default={self.default!r},'
                f'default_factory={self.default_factory!r},'
                f'init={self.init!r},repr={self.repr!r},hash={self.hash!r},'
                f'compare={self.compare!r},metadata={self.metadata!r},'
                f'kw_only={self.kw_only!r},doc={self.doc!r})')

    def __set_name__(self, owner, name):
        pass


def field(*, default=MISSING, default_factory=MISSING, init=True, repr=True,
          hash=None, compare=True, metadata=None, kw_only=MISSING, doc=None):
    """Describe a field: its default, its default_factory, whether __init__,
    __repr__ and comparisons use it."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError('cannot specify both default and default_factory')
    return Field(default, default_factory, init, repr, hash, compare,
                 metadata, kw_only, doc)


def _is_classvar(tp):
    # typing.ClassVar[...] (or the string of one) marks a class attribute.
    if isinstance(tp, str):
        return tp.startswith(('ClassVar', 'typing.ClassVar'))
    return repr(tp).startswith('typing.ClassVar')


def _unhashable(value):
    try:
        hash(value)
    except TypeError:
        return True
    return False


def _fields_of(cls, kw_only_default):
    found = {}
    for base in reversed(cls.__mro__[1:]):
        base_fields = base.__dict__['__dataclass_fields__'] if '__dataclass_fields__' in base.__dict__ else None
        if base_fields is not None:
            for f in base_fields.values():
                found[f.name] = f
    annotations = cls.__dict__['__annotations__'] if '__annotations__' in cls.__dict__ else cls.__annotations__
    kw_only = kw_only_default
    for name, tp in annotations.items():
        if tp is KW_ONLY:
            kw_only = True
            continue
        if _is_classvar(tp):
            continue
        default = cls.__dict__[name] if name in cls.__dict__ else MISSING
        if isinstance(default, Field):
            f = default
        else:
            f = field(default=default)
        f.name = name
        f.type = tp
        if f.kw_only is MISSING:
            f.kw_only = kw_only
        if f.default is not MISSING and _unhashable(f.default):
            raise ValueError(f'mutable default {type(f.default)!r} for field '
                             f'{name} is not allowed: use default_factory')
        if isinstance(default, Field):
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        found[name] = f
    return found


def _tuple_of(names):
    return '(' + ''.join(f'self.{n},' for n in names) + ')'


def _process(cls, init, repr, eq, order, unsafe_hash, frozen, match_args,
             kw_only, slots):
    fields = _fields_of(cls, kw_only)
    cls.__dataclass_fields__ = fields
    qual = cls.__qualname__
    env = {'MISSING': MISSING, 'FrozenInstanceError': FrozenInstanceError,
           '__dataclass_builtins_object__': object}
    src = []
    names = list(fields)
    init_fields = [f for f in fields.values() if f.init]
    if init:
        params = ['self']
        kwparams = []
        seen_default = False
        for f in init_fields:
            if f.default is not MISSING:
                env[f'__dflt_{f.name}'] = f.default
                p = f'{f.name}=__dflt_{f.name}'
            elif f.default_factory is not MISSING:
                env[f'__dflt_{f.name}'] = f.default_factory
                p = f'{f.name}=__dataclass_HAS_DEFAULT_FACTORY__'
            else:
                p = f.name
                if seen_default and not f.kw_only:
                    raise TypeError(f'non-default argument {f.name!r} follows '
                                    f'default argument {prev!r}')
            if f.kw_only:
                kwparams.append(p)
            else:
                if f.default is not MISSING or f.default_factory is not MISSING:
                    seen_default = True
                    prev = f.name
                params.append(p)
        if kwparams:
            params.append('*')
            params.extend(kwparams)
        env['__dataclass_HAS_DEFAULT_FACTORY__'] = _HAS_DEFAULT_FACTORY
        body = []
        for f in fields.values():
            if f.init:
                if f.default_factory is not MISSING:
                    value = (f'__dflt_{f.name}() if {f.name} is '
                             f'__dataclass_HAS_DEFAULT_FACTORY__ else {f.name}')
                else:
                    value = f.name
            elif f.default_factory is not MISSING:
                env[f'__dflt_{f.name}'] = f.default_factory
                value = f'__dflt_{f.name}()'
            elif f.default is not MISSING:
                env[f'__dflt_{f.name}'] = f.default
                value = f'__dflt_{f.name}'
            else:
                continue
            if frozen:
                body.append(f'  __dataclass_builtins_object__.__setattr__(self, {f.name!r}, {value})')
            else:
                body.append(f'  self.{f.name} = {value}')
        if hasattr(cls, '__post_init__'):
            body.append('  self.__post_init__()')
        if not body:
            body.append('  pass')
        src.append(f'def __init__({", ".join(params)}):\n' + '\n'.join(body))
    if repr:
        shown = [f.name for f in fields.values() if f.repr]
        parts = ', '.join(f'{n}={{self.{n}!r}}' for n in shown)
        src.append('def __repr__(self):\n'
                   f'  return f"{{self.__class__.__qualname__}}({parts})"')
    compared = [f.name for f in fields.values() if f.compare]
    if eq:
        src.append('def __eq__(self, other):\n'
                   '  if self is other:\n    return True\n'
                   '  if other.__class__ is self.__class__:\n'
                   f'    return {_tuple_of(compared)} == {_tuple_of(compared).replace("self.", "other.")}\n'
                   '  return NotImplemented')
    if order:
        for name, op in (('__lt__', '<'), ('__le__', '<='), ('__gt__', '>'), ('__ge__', '>=')):
            src.append(f'def {name}(self, other):\n'
                       '  if other.__class__ is self.__class__:\n'
                       f'    return {_tuple_of(compared)} {op} {_tuple_of(compared).replace("self.", "other.")}\n'
                       '  return NotImplemented')
    hashed = [f.name for f in fields.values()
              if (f.compare if f.hash is None else f.hash)]
    if unsafe_hash or (eq and frozen):
        src.append(f'def __hash__(self):\n  return hash({_tuple_of(hashed)})')
    if frozen:
        src.append('def __setattr__(self, name, value):\n'
                   '  if type(self) is __dataclass_cls__ or name in __dataclass_names__:\n'
                   '    raise FrozenInstanceError(f"cannot assign to field {name!r}")\n'
                   '  __dataclass_builtins_object__.__setattr__(self, name, value)')
        src.append('def __delattr__(self, name):\n'
                   '  if type(self) is __dataclass_cls__ or name in __dataclass_names__:\n'
                   '    raise FrozenInstanceError(f"cannot delete field {name!r}")\n'
                   '  __dataclass_builtins_object__.__delattr__(self, name)')
        env['__dataclass_cls__'] = cls
        env['__dataclass_names__'] = tuple(names)
    env['__name__'] = cls.__module__
    _exec_source('\n'.join(src), env)
    for name in ('__init__', '__repr__', '__eq__', '__lt__', '__le__',
                 '__gt__', '__ge__', '__hash__', '__setattr__', '__delattr__'):
        if name in env:
            fn = env[name]
            fn.__qualname__ = f'{qual}.{name}'
            if name in cls.__dict__ and name not in ('__init__', '__repr__', '__eq__', '__hash__'):
                if order and name in ('__lt__', '__le__', '__gt__', '__ge__'):
                    raise TypeError(f'Cannot overwrite attribute {name} in class '
                                    f'{cls.__name__}. Consider using functools.total_ordering')
                continue
            if name in cls.__dict__ and name in ('__init__', '__repr__', '__eq__'):
                continue
            setattr(cls, name, fn)
    if eq and not frozen and not unsafe_hash and '__hash__' not in env:
        if '__hash__' not in cls.__dict__ or cls.__dict__['__hash__'] is None:
            cls.__hash__ = None
    if match_args and '__match_args__' not in cls.__dict__:
        cls.__match_args__ = tuple(f.name for f in init_fields if not f.kw_only)
    return cls


class _HAS_DEFAULT_FACTORY_CLASS:
    def __repr__(self):
        return '<factory>'


_HAS_DEFAULT_FACTORY = _HAS_DEFAULT_FACTORY_CLASS()


def dataclass(cls=None, /, *, init=True, repr=True, eq=True, order=False,
              unsafe_hash=False, frozen=False, match_args=True,
              kw_only=False, slots=False, weakref_slot=False):
    """Class decorator: generate __init__, __repr__, __eq__ (and more) from
    the class's annotated fields."""

    def wrap(cls):
        return _process(cls, init, repr, eq, order, unsafe_hash, frozen,
                        match_args, kw_only, slots)

    if cls is None:
        return wrap
    return wrap(cls)


def fields(class_or_instance):
    """The Field objects of a dataclass or of one of its instances."""
    try:
        found = class_or_instance.__dataclass_fields__
    except AttributeError:
        raise TypeError('must be called with a dataclass type or instance') from None
    return tuple(found.values())


def is_dataclass(obj):
    cls = obj if isinstance(obj, type) else type(obj)
    return hasattr(cls, '__dataclass_fields__')


def _copy_value(value, factory):
    if is_dataclass(value) and not isinstance(value, type):
        return factory([(f.name, _copy_value(getattr(value, f.name), factory))
                        for f in fields(value)])
    if isinstance(value, tuple) and hasattr(value, '_fields'):
        return type(value)(*[_copy_value(v, factory) for v in value])
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_value(v, factory) for v in value)
    if isinstance(value, dict):
        return type(value)((_copy_value(k, factory), _copy_value(v, factory))
                           for k, v in value.items())
    return value


def asdict(obj, *, dict_factory=dict):
    """The fields of dataclass instance obj as a dict (recursively)."""
    if not is_dataclass(obj) or isinstance(obj, type):
        raise TypeError('asdict() should be called on dataclass instances')
    return _copy_value(obj, dict_factory)


def astuple(obj, *, tuple_factory=tuple):
    """The field values of dataclass instance obj as a tuple (recursively)."""
    if not is_dataclass(obj) or isinstance(obj, type):
        raise TypeError('astuple() should be called on dataclass instances')
    return tuple_factory([_copy_value(getattr(obj, f.name), lambda pairs: tuple(v for k, v in pairs))
                          for f in fields(obj)])


def replace(obj, /, **changes):
    """A new instance of obj's class with some fields changed."""
    for f in fields(obj):
        if f.init and f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return obj.__class__(**changes)


def make_dataclass(cls_name, fields, *, bases=(), namespace=None, **kwargs):
    ns = dict(namespace or {})
    annotations = {}
    for item in fields:
        if isinstance(item, str):
            annotations[item] = 'typing.Any'
        elif len(item) == 2:
            annotations[item[0]] = item[1]
        else:
            annotations[item[0]] = item[1]
            ns[item[0]] = item[2]
    ns['__annotations__'] = annotations
    cls = type(cls_name, bases, ns)
    return dataclass(cls, **kwargs)
