# Lambdas as small anonymous functions: sorting keys, map and filter.
people = [("Ada", 36), ("Alan", 41), ("Grace", 85), ("Linus", 21)]
by_age = sorted(people, key=lambda p: p[1])
by_name_len = sorted(people, key=lambda p: (len(p[0]), p[0]), reverse=True)
square = lambda x: x * x  # noqa: E731
add = lambda a, b=1, *rest, **kw: a + b + sum(rest)  # noqa: E731

print(by_age)
print(by_name_len)
print(list(map(square, range(5))), list(filter(lambda n: n % 2, range(10))))
print(add(1), add(1, 2, 3, 4), (lambda: "no args")())
print(sum(map(lambda i: i & 7, range(5000))))
