"""Membership tests: `in` compiles to CONTAINS_OP, which specializes for sets and dicts (CONTAINS_OP_SET, CONTAINS_OP_DICT)."""
vowels = {"a", "e", "i", "o", "u"}
ranks = {"low": 1, "mid": 2, "high": 3}
text = "the quick brown fox jumps over the lazy dog " * 200

count = 0
for ch in text:
    if ch in vowels:
        count += 1
print(count)

hits = 0
for i in range(6_000):
    if ("mid" if i % 3 else "none") in ranks:
        hits += 1
print(hits)
