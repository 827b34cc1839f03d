"""Constant sets iterate in CPython's order (PYTHONHASHSEED=0): the hash of each item and the set table."""


def kinds(decltype, platform, mode, c, ext, n):
    if decltype in {"attlist", "linktype", "link", "element"}:
        return 1
    if platform in {"win32", "cygwin"}:
        return 2
    if mode in {"error", "ignore", "always", "all", "default", "module", "once"}:
        return 3
    if n in {1, 1.0, True, 2, 10**20, -5, 3.5, 1j}:
        return 4
    if c in {"2", "1", "3"}:
        return 5
    if ext in {".eps", ".ps"}:
        return 6
    if (c, ext) in {("text", "plain"), ("text", "html"), ("multipart", "related")}:
        return 7
    return 0
