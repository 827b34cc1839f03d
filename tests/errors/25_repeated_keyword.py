"""A repeated keyword argument: ast.parse accepts it, the compiler does not."""
print(1, sep=" ", end="\n", sep="-")
