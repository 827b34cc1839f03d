def f():
    return [i for i in range(2) if (j := i) for j in range(3)]
