def f(flag):
    if flag:
        return 1
	return 0
