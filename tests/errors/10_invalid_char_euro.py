price = 5 €
print(price)
