text = "café"
print(text)
