# An exception raised from another: both tracebacks, the cause first.
class ConfigError(Exception):
    pass


def port(settings):
    try:
        return int(settings["port"])
    except KeyError as exc:
        raise ConfigError("no port configured") from exc


port({})
