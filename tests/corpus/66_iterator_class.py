# The iterator protocol implemented by hand: __iter__ and __next__.
class Countdown:
    def __init__(self, start):
        self.current = start

    def __iter__(self):
        return self

    def __next__(self):
        if self.current <= 0:
            raise StopIteration
        self.current -= 1
        return self.current + 1


print(list(Countdown(5)))
for n in Countdown(3):
    print("tick", n)
total = 0
for n in Countdown(10_000):
    total += n
print(total, 3 in Countdown(5))
