"""A bad escape in a plain string before one in a format spec: CPython decodes the plain string first."""
label = "total\x4" f"{42:\x4}"
