# Recursion: factorial, Fibonacci with memo, and a tree walk.
def factorial(n):
    return 1 if n <= 1 else n * factorial(n - 1)


def fib(n, memo={0: 0, 1: 1}):
    if n not in memo:
        memo[n] = fib(n - 1) + fib(n - 2)
    return memo[n]


def depth(tree):
    if not isinstance(tree, list):
        return 0
    return 1 + max((depth(child) for child in tree), default=0)


def hanoi(n, src="A", dst="C", via="B"):
    if n == 0:
        return 0
    return hanoi(n - 1, src, via, dst) + 1 + hanoi(n - 1, via, dst, src)


print(factorial(20), fib(90))
print(depth([1, [2, [3, []]], 4]), hanoi(10))
