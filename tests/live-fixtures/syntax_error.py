def broken(x):
    return (x +
print("never")
