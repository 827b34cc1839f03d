"""An unknown \\N name in a string inside an f-string replacement field."""
names = ['a', 'b']
print(f"{', '.join(names)} {'\N{NO SUCH NAME}'}")
