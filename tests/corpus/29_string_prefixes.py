# String prefixes: raw, bytes, raw bytes, unicode, and escapes.
path = r"C:\new\table"
data = b"bytes\x00\xff"
raw_bytes = rb"\d+\.\d+"
also_raw = Rb"\n"
unicode = u"caf\u00e9"
escapes = "tab:\t| newline-escaped:\\n | quote:\" | \N{GREEK SMALL LETTER ALPHA}"

print(path, len(path))
print(data, len(data), data[-1])
print(raw_bytes, also_raw)
print(unicode, escapes)
print("implicit " 'concatenation ' """of three""")
print(B"UPPER", BR"raw")
