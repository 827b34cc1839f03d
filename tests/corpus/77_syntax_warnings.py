# SyntaxWarnings: the tokenizer's, the parser's (invalid escapes, once per piece of literal
# text) and the compiler's (PEP 765 control flow in `finally`, asserts on tuples, `is` with a
# literal). CPython prints them on stderr, in this order, before the output.
pattern = "\d+\s"
data = b"\q"
block = """first line
second \z line"""
octal = "\777"
a = 3
label = f"\w{a}\v\y {"\d"} {{\e}}"
spec = f"{pattern:\>9}\!"
edge = f"\{a}"
glued = [1if a else 2, [0x1for x in "ab"], 0o7or a, 1jif a else 0, 1.5e3in [a]]


def finally_flow(items):
    for item in items:
        try:
            pass
        finally:
            for inner in items:
                continue
            else:
                break
    try:
        return len(items)
    finally:
        if items:
            return 0


assert (a, "always true")
same = a is 1
print(pattern, data, block, octal, label, spec, edge, glued, finally_flow([1, 2]), same)
