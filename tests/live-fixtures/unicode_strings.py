# Non-ASCII text: columns in tokens are characters, in the AST UTF-8 bytes.
grüße = {"héllo": "wörld", "naïve": "café"}
s = f"{grüße['héllo']!r:>10} → {len(grüße)}"
print(s, "日本語"[1:], b"\xff\x00")
parts = [c.upper() for c in "ßæø" if c.isalpha()]
print(parts, 1e309, -0.0, 3j, 0x1F, 1_000_000)
