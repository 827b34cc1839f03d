# PEP 701 (3.12+): f-string expressions may reuse the outer quote, contain backslashes and comments.
names = ["ada", "alan"]
table = {"key": "value"}
print(f"{"same quotes"} and {table["key"]}")
print(f"{"\n".join(names)}")
print(f"{f"{f"{1 + 1}"}"}")
total = f"{
    sum(range(10))  # a comment inside the replacement field
}"
print(total)
print(f'{'single' + 'quotes'}', f"""{"""triple"""}""")
