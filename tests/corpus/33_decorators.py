# Function decorators, with and without arguments.
from functools import wraps


def shout(func):
    @wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs).upper()
    return wrapper


def repeat(times):
    def decorate(func):
        def wrapper(*args):
            return [func(*args) for _ in range(times)]
        return wrapper
    return decorate


@shout
def hello(name):
    return f"hello {name}"


@repeat(times=3)
@shout
def ping():
    return "ping"

print(hello("ada"), hello.__name__, ping())
