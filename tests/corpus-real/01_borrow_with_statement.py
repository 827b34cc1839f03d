"""Borrowed loads around `with`: the context manager stays on the stack as `self` of __exit__."""


def body_in_one_block(path):
    f = open(path)
    with f:
        print(f)


def body_with_a_loop(path):
    f = open(path)
    with f:
        for line in f:
            print(line)


def body_rebinds_the_manager(path):
    f = open(path)
    with f:
        f = None


def try_else_with(path, flag):
    try:
        f = open(path)
    except OSError:
        if flag not in ("c", "n"):
            raise
    else:
        with f:
            for line in f:
                pass
