"""A generator expression without parentheses in a replacement field."""
words = ["a", "b"]
print(f"{w.upper() for w in words}")
