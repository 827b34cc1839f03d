# Set and dict comprehensions.
words = ["apple", "banana", "cherry", "avocado", "blueberry"]
first_letters = {w[0] for w in words}
lengths = {w: len(w) for w in words}
long_words = {w: n for w, n in lengths.items() if n > 6}
inverted = {v: k for k, v in {"a": 1, "b": 2}.items()}

print(sorted(first_letters))
print(lengths)
print(long_words)
print(inverted)
