# Conditional expressions (the ternary operator).
def sign(n):
    return "negative" if n < 0 else "zero" if n == 0 else "positive"


for n in (-3, 0, 8):
    print(n, sign(n))

x = 7
parity = "even" if x % 2 == 0 else "odd"
label = f"{x} is {'big' if x > 5 else 'small'} and {parity}"
print(label)
print([("fizz" if i % 3 == 0 else "") + ("buzz" if i % 5 == 0 else "") or i
       for i in range(1, 16)])
