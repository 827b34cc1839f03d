# try / except / else / finally.
def parse(text):
    try:
        value = int(text)
    except ValueError:
        print(f"not a number: {text!r}")
        return None
    else:
        print("parsed", value)
        return value
    finally:
        print("done with", text)


parse("42")
parse("forty-two")

try:
    {}["missing"]
except (KeyError, IndexError) as exc:
    print("lookup failed:", repr(exc))
