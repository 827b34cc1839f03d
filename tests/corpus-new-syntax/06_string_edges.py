# Edge cases of the newer string and except syntax: tuples, debug text, nested specs,
# comments and line breaks in fields, implicit concatenation across kinds.
a = 1; b = 2; w = 5; d = {"k": 3}
print(f"{a, b}")
print(f"{a:}")
print(f"{a!r:>{w}} and {d["k"]=}")
print(f"{a = !s:^10}")
print(f'{"\n".join(["x", "y"])}')
print(f"{
    a  # a comment
    + b
}")
x = (f"one {a}"
     "two"
     f"{b}" 'three')
print(t"{a}" t"lit {b!r}")
print(f"{'é'}\N{GREEK SMALL LETTER ALPHA}{{}}")
print(rf"\d{a}\n")
print(f"""{a:{"x" if a else "y"}{w}}""")
print(f"{f"{f"{a}"}"}")
def g(n):
    try:
        return 1 / n
    except ZeroDivisionError, TypeError:
        return None
    except ValueError, KeyError:
        pass
