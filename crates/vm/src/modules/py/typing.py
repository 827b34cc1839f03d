"""Type hints (cpyviz's model of typing): the names annotations use.

The special forms and aliases can be subscripted and print like CPython's;
Generic, Protocol and NamedTuple work as base classes.
"""

import collections.abc as _abc
import collections as _collections

__all__ = ['Any', 'Callable', 'ClassVar', 'Dict', 'Final', 'FrozenSet',
           'Generic', 'Iterable', 'Iterator', 'List', 'Literal', 'Mapping',
           'NamedTuple', 'NoReturn', 'Optional', 'Protocol', 'Sequence', 'Set',
           'Tuple', 'Type', 'TypeVar', 'Union', 'cast', 'overload',
           'TYPE_CHECKING', 'get_type_hints', 'Self', 'Never', 'TypeAlias',
           'Annotated', 'TypedDict', 'runtime_checkable', 'Generator',
           'Awaitable', 'Coroutine', 'AsyncIterator', 'AsyncIterable',
           'Collection', 'Container', 'Hashable', 'Sized', 'Reversible',
           'MutableMapping', 'MutableSequence', 'MutableSet', 'AbstractSet',
           'Counter', 'Deque', 'DefaultDict', 'OrderedDict', 'ChainMap',
           'SupportsInt', 'SupportsFloat', 'SupportsAbs', 'SupportsIndex']

TYPE_CHECKING = False


def _type_repr(obj):
    if isinstance(obj, type):
        if obj.__module__ == 'builtins':
            return obj.__qualname__
        return f'{obj.__module__}.{obj.__qualname__}'
    if obj is ...:
        return '...'
    if obj is None or obj is type(None):
        return 'None'
    if isinstance(obj, list):
        return '[' + ', '.join(_type_repr(a) for a in obj) + ']'
    return repr(obj)


def _union(args):
    result = None
    for a in args:
        if a is None:
            a = type(None)
        result = a if result is None else result | a
    return result


class _GenericAlias:
    """X[args]: a subscripted alias or special form."""

    def __init__(self, origin, args, name=None):
        self.__origin__ = origin
        self.__args__ = args
        self._name = name

    def __repr__(self):
        if self._name is not None:
            head = f'typing.{self._name}'
        else:
            head = _type_repr(self.__origin__)
        if self._name == 'Callable' and len(self.__args__) == 2:
            params, ret = self.__args__
            return f'{head}[{_type_repr(params)}, {_type_repr(ret)}]'
        return f'{head}[{", ".join(_type_repr(a) for a in self.__args__)}]'

    def __call__(self, *args, **kwargs):
        return self.__origin__(*args, **kwargs)

    def __mro_entries__(self, bases):
        return (self.__origin__,)

    def __or__(self, other):
        return Union[self, other]

    def __ror__(self, other):
        return Union[other, self]

    def __eq__(self, other):
        if not isinstance(other, _GenericAlias):
            return NotImplemented
        return self.__origin__ == other.__origin__ and self.__args__ == other.__args__

    def __hash__(self):
        return hash((self.__origin__, self.__args__))

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return getattr(self.__origin__, name)


class _Alias:
    """typing.List and friends: a deprecated alias of a builtin or ABC."""

    def __init__(self, origin, name, nparams=-1):
        self.__origin__ = origin
        self._name = name
        self._nparams = nparams

    def __repr__(self):
        return f'typing.{self._name}'

    def __getitem__(self, params):
        if not isinstance(params, tuple):
            params = (params,)
        return _GenericAlias(self.__origin__, params, self._name)

    def __call__(self, *args, **kwargs):
        return self.__origin__(*args, **kwargs)

    def __mro_entries__(self, bases):
        return (self.__origin__,)

    def __or__(self, other):
        return Union[self, other]

    def __ror__(self, other):
        return Union[other, self]


class _SpecialForm:
    def __init__(self, name, getitem=None):
        self._name = name
        self._getitem = getitem

    def __repr__(self):
        return f'typing.{self._name}'

    def __getitem__(self, params):
        if self._getitem is None:
            raise TypeError(f'{self} is not subscriptable')
        return self._getitem(self, params)

    def __call__(self, *args, **kwds):
        raise TypeError(f'Cannot instantiate {self!r}')

    def __or__(self, other):
        return Union[self, other]

    def __ror__(self, other):
        return Union[other, self]


def _subscript_union(self, params):
    if not isinstance(params, tuple):
        params = (params,)
    return _union(params)


def _subscript_optional(self, param):
    return _union((param, None))


def _subscript_generic(self, params):
    if not isinstance(params, tuple):
        params = (params,)
    return _GenericAlias(self, params, self._name)


Any = _SpecialForm('Any')
NoReturn = _SpecialForm('NoReturn')
Never = _SpecialForm('Never')
Self = _SpecialForm('Self')
TypeAlias = _SpecialForm('TypeAlias')
Union = _SpecialForm('Union', _subscript_union)
Optional = _SpecialForm('Optional', _subscript_optional)
ClassVar = _SpecialForm('ClassVar', _subscript_generic)
Final = _SpecialForm('Final', _subscript_generic)
Literal = _SpecialForm('Literal', _subscript_generic)
Annotated = _SpecialForm('Annotated', _subscript_generic)

List = _Alias(list, 'List')
Dict = _Alias(dict, 'Dict')
Set = _Alias(set, 'Set')
FrozenSet = _Alias(frozenset, 'FrozenSet')
Tuple = _Alias(tuple, 'Tuple')
Type = _Alias(type, 'Type')
Deque = _Alias(_collections.deque, 'Deque')
DefaultDict = _Alias(_collections.defaultdict, 'DefaultDict')
OrderedDict = _Alias(_collections.OrderedDict, 'OrderedDict')
Counter = _Alias(_collections.Counter, 'Counter')
ChainMap = _Alias(_collections.ChainMap, 'ChainMap')
Callable = _Alias(_abc.Callable, 'Callable')
Iterable = _Alias(_abc.Iterable, 'Iterable')
Iterator = _Alias(_abc.Iterator, 'Iterator')
Generator = _Alias(_abc.Generator, 'Generator')
Reversible = _Alias(_abc.Reversible, 'Reversible')
Container = _Alias(_abc.Container, 'Container')
Collection = _Alias(_abc.Collection, 'Collection')
Hashable = _Alias(_abc.Hashable, 'Hashable')
Sized = _Alias(_abc.Sized, 'Sized')
Sequence = _Alias(_abc.Sequence, 'Sequence')
MutableSequence = _Alias(_abc.MutableSequence, 'MutableSequence')
Mapping = _Alias(_abc.Mapping, 'Mapping')
MutableMapping = _Alias(_abc.MutableMapping, 'MutableMapping')
AbstractSet = _Alias(_abc.Set, 'AbstractSet')
MutableSet = _Alias(_abc.MutableSet, 'MutableSet')
Awaitable = _Alias(_abc.Awaitable, 'Awaitable')
Coroutine = _Alias(_abc.Coroutine, 'Coroutine')
AsyncIterable = _Alias(_abc.AsyncIterable, 'AsyncIterable')
AsyncIterator = _Alias(_abc.AsyncIterator, 'AsyncIterator')


class TypeVar:
    """A type variable: T = TypeVar('T')."""

    def __init__(self, name, *constraints, bound=None, covariant=False,
                 contravariant=False, infer_variance=False, default=None):
        self.__name__ = name
        self._constraints = constraints
        self._bound = bound
        self._lazy = None
        self.__covariant__ = covariant
        self.__contravariant__ = contravariant
        self.__infer_variance__ = infer_variance

    @property
    def __bound__(self):
        if self._lazy is not None and self._lazy[0] == 'bound':
            self._bound, self._lazy = self._lazy[1](), None
        return self._bound

    @property
    def __constraints__(self):
        if self._lazy is not None and self._lazy[0] == 'constraints':
            self._constraints, self._lazy = self._lazy[1](), None
        return self._constraints

    def __repr__(self):
        if self.__infer_variance__:
            return self.__name__
        if self.__covariant__:
            return f'+{self.__name__}'
        if self.__contravariant__:
            return f'-{self.__name__}'
        return f'~{self.__name__}'

    def __or__(self, other):
        return Union[self, other]

    def __ror__(self, other):
        return Union[other, self]


TypeVar.__module__ = 'typing'


class ParamSpec:
    """A parameter specification variable: P = ParamSpec('P')."""

    def __init__(self, name, *, infer_variance=False):
        self.__name__ = name
        self.__infer_variance__ = infer_variance

    def __repr__(self):
        return self.__name__ if self.__infer_variance__ else f'~{self.__name__}'


class TypeVarTuple:
    """A variadic type variable: Ts = TypeVarTuple('Ts')."""

    def __init__(self, name):
        self.__name__ = name

    def __repr__(self):
        return self.__name__


class TypeAliasType:
    """type X = ...: its value is evaluated when first asked for."""

    def __init__(self, name, value, *, type_params=()):
        self.__name__ = name
        self.__type_params__ = type_params
        self._evaluate = value

    @property
    def __value__(self):
        return self._evaluate()

    def __repr__(self):
        return self.__name__


def _type_param(kind, name, lazy=None):
    # The type parameters of PEP 695 syntax (def f[T: int]()...): their variance is
    # inferred, and their bound or constraints are evaluated when first asked for.
    if kind == 'ParamSpec':
        return ParamSpec(name, infer_variance=True)
    if kind == 'TypeVarTuple':
        return TypeVarTuple(name)
    tv = TypeVar(name, infer_variance=True)
    if lazy is not None:
        tv._lazy = (kind, lazy)
    return tv


for _cls in (ParamSpec, TypeVarTuple, TypeAliasType):
    _cls.__module__ = 'typing'


class Generic:
    """The base of generic classes: class Stack(Generic[T])."""
    __slots__ = ()

    def __class_getitem__(cls, params):
        if not isinstance(params, tuple):
            params = (params,)
        return _GenericAlias(cls, params)

    def __init_subclass__(cls, *args, **kwargs):
        params = []
        own = cls.__dict__
        for base in (own['__orig_bases__'] if '__orig_bases__' in own else ()):
            for a in getattr(base, '__args__', ()):
                if isinstance(a, TypeVar) and a not in params:
                    params.append(a)
        cls.__parameters__ = tuple(params)


class Protocol(Generic):
    """The base of structural types (checked by static type checkers)."""
    __slots__ = ()


def runtime_checkable(cls):
    return cls


def _class_annotations(ns):
    if '__annotations__' in ns:
        return dict(ns['__annotations__'])
    annotate = ns.get('__annotate_func__') or ns.get('__annotate__')
    if annotate is not None:
        return dict(annotate(1))
    return {}


class _NamedTupleMeta(type):
    def __new__(cls, typename, bases, ns):
        if ns.get('_root', False):
            return type.__new__(cls, typename, bases, ns)
        types = _class_annotations(ns)
        fields = list(types)
        defaults = [ns[n] for n in fields if n in ns]
        nt = _collections.namedtuple(typename, fields, defaults=defaults,
                                     module=ns.get('__module__', '__main__'))
        for key, value in ns.items():
            if key not in fields and key not in ('__module__', '__qualname__',
                                                 '__annotate_func__',
                                                 '__annotate__',
                                                 '__annotations__',
                                                 '__classdictcell__',
                                                 '__static_attributes__',
                                                 '__firstlineno__',
                                                 '__orig_bases__'):
                setattr(nt, key, value)
        nt.__annotations__ = types
        return nt


class _NamedTupleBase(metaclass=_NamedTupleMeta):
    _root = True


def NamedTuple(typename, fields=None, /, **kwargs):
    """A typed namedtuple: NamedTuple('P', [('x', int)]) or class P(NamedTuple)."""
    if fields is None:
        fields = kwargs.items()
    nt = _collections.namedtuple(typename, [n for n, t in fields])
    nt.__annotations__ = dict(fields)
    return nt


NamedTuple.__mro_entries__ = lambda bases: (_NamedTupleBase,)


class _TypedDictMeta(type):
    def __new__(cls, name, bases, ns, total=True):
        return dict


def TypedDict(typename, fields=None, /, *, total=True):
    return dict


TypedDict.__mro_entries__ = lambda bases: (dict,)


def cast(typ, val):
    """Return val unchanged (a hint for static type checkers)."""
    return val


def overload(func):
    return func


def final(f):
    return f


def no_type_check(arg):
    return arg


def get_type_hints(obj, globalns=None, localns=None, include_extras=False):
    hints = {}
    if isinstance(obj, type):
        for base in reversed(obj.__mro__):
            hints.update(getattr(base, '__annotations__', {}) or {})
        return hints
    return dict(getattr(obj, '__annotations__', {}) or {})


def get_origin(tp):
    return getattr(tp, '__origin__', None)


def get_args(tp):
    return getattr(tp, '__args__', ())


class SupportsInt(Protocol):
    __slots__ = ()


class SupportsFloat(Protocol):
    __slots__ = ()


class SupportsAbs(Protocol):
    __slots__ = ()


class SupportsIndex(Protocol):
    __slots__ = ()
