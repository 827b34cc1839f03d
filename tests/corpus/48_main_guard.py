"""Module docstring: the if __name__ == "__main__" idiom."""


def main(argv=None):
    """Entry point; returns an exit status."""
    args = argv or ["default"]
    for arg in args:
        print("argument:", arg)
    return 0


if __name__ == "__main__":
    status = main()
    print("exit status", status)
else:
    print("imported, not run")
