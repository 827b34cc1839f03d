"""Borrowed loads: FORMAT_SIMPLE may return its input; DELETE_FAST ends a local's life."""


def render(prefix, last, buf=None):
    if buf is None:
        buf = []
    buf.append(f"{prefix}{'a' if last else 'b'}")
    return buf


def returned_then_deleted(task):
    try:
        return task
    finally:
        del task
