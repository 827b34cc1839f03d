# Common string methods.
s = "  Hello, World  "
print(repr(s.strip()), repr(s.lstrip()), repr(s.rstrip()))
print(s.lower(), s.upper(), s.title(), s.swapcase())
words = "a,b,,c".split(",")
print(words, "-".join(words), "x y  z".split())
print("hello".replace("l", "L"), "hello".replace("l", "L", 1))
print("hello".find("l"), "hello".rfind("l"), "hello".find("z"), "hello".count("l"))
print("data.csv".endswith((".csv", ".tsv")), "Data".startswith("d"))
print("42".zfill(5), "ab".center(6, "*"), "ab".ljust(4, "."), "ab".rjust(4))
print("abc".isalpha(), "123".isdigit(), " ".isspace(), "Title Case".istitle())
print("key=value=x".partition("="), "a b c".rsplit(" ", 1))
print("line1\nline2\r\nline3".splitlines(), "%s-%03d" % ("id", 7))
print("{} + {} = {total}".format(1, 2, total=3), "naïve".encode("utf-8"))
