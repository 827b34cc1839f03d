"""Building strings with f-strings and counting words in a dict."""
words = ["spam", "eggs", "spam", "ham", "spam", "eggs"]
counts = {}
for round_no in range(2_000):
    for word in words:
        counts[word] = counts.get(word, 0) + 1

lines = []
for word, count in sorted(counts.items()):
    lines.append(f"{word:>5}: {count}")
print("\n".join(lines))

label = ""
for i in range(5):
    label += f"[{i}]"
print(label, len(label))
