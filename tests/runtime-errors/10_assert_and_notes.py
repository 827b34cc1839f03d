# A failed assert with a message, and a note added to an exception.
def check(v):
    try:
        assert v > 0, f"expected a positive value, got {v}"
    except AssertionError as e:
        e.add_note("while checking the input")
        raise


check(5)
check(-2)
