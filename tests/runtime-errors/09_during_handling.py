# An error while handling another: the context is printed first.
def risky():
    try:
        return [1, 2][5]
    except IndexError:
        return undefined_name


risky()
