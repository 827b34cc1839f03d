# A generator as a coroutine: send() values in, get running averages out.
def averager():
    total = 0.0
    count = 0
    average = None
    while True:
        value = yield average
        total += value
        count += 1
        average = total / count


avg = averager()
next(avg)
for x in [10, 20, 30, 40]:
    print(avg.send(x))
avg.close()
