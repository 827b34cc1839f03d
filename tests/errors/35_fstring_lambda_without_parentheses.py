"""A lambda in an f-string replacement field without parentheses: its colon starts the format spec."""
scale = 2
print(f"{lambda x: x * scale}")
