# f-strings: format specs, nested specs, conversions and = debugging.
name = "Ada"
pi = 3.14159265
width, precision = 10, 3
items = ["a", "b"]

print(f"Hello, {name}!")
print(f"{pi:.2f} {pi:10.4f}|{pi:<8.1f}|")
print(f"{pi:{width}.{precision}f}")
print(f"{name!r} {name!s} {name!a}")
print(f"{name=} {width * 2 = } {pi=:.1f}")
print(f"{{literal braces}} {{{name}}}")
print(f"{'nested single'} {items[0]!r} {len(items):03d}")
print(f'{"double inside single"}')
print(f"{1_000_000:,} {255:#x} {255:08b} {0.25:%}")
