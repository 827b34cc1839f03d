"""An assignment expression as the test of an assert (3.15 names it)."""
def check(p):
    assert (p.ready
            ) := p.poll() if p else None, "not ready"
