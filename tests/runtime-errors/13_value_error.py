# int() of a word, inside a list comprehension.
words = ["10", "20", "thirty"]
numbers = [int(w) for w in words]
print(numbers)
