"""Calls to builtins: CALL specializes to CALL_LEN, CALL_BUILTIN_O, CALL_BUILTIN_FAST and CALL_ISINSTANCE."""
words = ["spam", "eggs", "ham", "bacon"]
total = 0
for i in range(5_000):
    w = words[i % 4]
    total += len(w)
    total += ord(w[0])
    total += max(i, 10)
    if isinstance(w, str):
        total += 1
print(total)
