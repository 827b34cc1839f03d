# Dictionary and set operations.
stock = {"apple": 3, "pear": 0}
stock["plum"] = 5
stock.update(kiwi=2)
print(stock.get("banana"), stock.get("banana", 0), stock.pop("pear"))
print(list(stock.keys()), list(stock.values()), stock.setdefault("fig", 1))
print({**stock, "apple": 10} | {"grape": 4})
for fruit, count in sorted(stock.items(), key=lambda kv: -kv[1]):
    print(f"{fruit}: {count}")

a = {1, 2, 3, 4}
b = {3, 4, 5}
print(a | b, a & b, a - b, a ^ b)
print(a <= {1, 2, 3, 4, 5}, b.isdisjoint({9}), 3 in a)
a.add(10)
a.discard(1)
print(sorted(a), frozenset("aab") == frozenset("ba"))
