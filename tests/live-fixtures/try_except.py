def parse(s):
    try:
        return int(s)
    except ValueError:
        return -1
    finally:
        pass


words = ["1", "x", "22", "", "333"] * 200
print(sum(parse(w) for w in words))
with open(__file__) as f:
    first = f.readline()
print(first.strip())
