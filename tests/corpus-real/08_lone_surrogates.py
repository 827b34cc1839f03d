# Lone surrogates are legal in str literals: CPython keeps them as code points.
high = '\ud800'
pair = '\ud83d\ude00'
mixed = 'a\udc80b' + "\U0001f600"
print(len(high), len(pair), len(mixed), ascii(mixed))
match high:
    case '\ud800':
        print("matched")
fs = f'{high!a}\udfff'
print(ascii(fs))
match {high: 1}:
    case {'\ud800': 1} | ['\udc00', _]:
        print("mapping")
    case str('\udfff'):
        pass
