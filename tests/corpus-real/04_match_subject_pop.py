"""The POP_TOP of a match subject takes the location of what follows it, after NOP removal."""


def get_data(compress, raw_data, size):
    if size < 0:
        try:
            check(size)
        except OSError:
            raise ValueError(f"bad size: {size!r}")
    match compress:
        case 0:
            return raw_data
        case 8:
            try:
                decompress = load()
            except Exception:
                raise ImportError("no zlib")
            return decompress(raw_data)
        case 93:
            try:
                return other(raw_data)
            except Exception:
                raise ImportError("no zstd")
        case _:
            raise ValueError(compress)
