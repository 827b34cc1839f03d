# Raising exceptions, chaining with "raise ... from ...".
class ConfigError(Exception):
    """Raised when a setting cannot be read."""


def read_port(settings):
    try:
        return int(settings["port"])
    except KeyError as exc:
        raise ConfigError("port is missing") from exc
    except ValueError:
        raise ConfigError("port is not a number") from None


for settings in [{"port": "8080"}, {}, {"port": "http"}]:
    try:
        print(read_port(settings))
    except ConfigError as err:
        print(err, type(err.__cause__).__name__, err.__suppress_context__)
