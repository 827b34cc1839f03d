# A missing dict key: KeyError names the key, the carets the subscript.
prices = {"apple": 3, "pear": 4}
order = ["apple", "plum"]
total = 0
for item in order:
    total = total + prices[item] * 2
print(total)
