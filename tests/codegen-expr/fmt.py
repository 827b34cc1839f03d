x = "%s-%r" % (a, b)
y = a in [1, 2]
z = "%d" % a
w = f"{a}" f"b"
q = f"a{b:{c}}d{e!r}"
