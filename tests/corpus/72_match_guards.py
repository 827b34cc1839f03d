# match with guards, or-patterns binding names, nested patterns and a default.
def describe(event):
    match event:
        case {"type": "click", "pos": (x, y)} if x == y:
            return f"diagonal click at {x}"
        case {"type": "click", "pos": (x, y)}:
            return f"click at {x},{y}"
        case ("key", str(name)) | ("press", str(name)):
            return "key " + name
        case [first, *_, last] if first == last:
            return "same ends"
        case int() | float() as number if number > 0:
            return "positive"
        case None:
            return "nothing"
        case _:
            return "unknown"


for e in [{"type": "click", "pos": (1, 1)}, ("press", "a"), [1, 2, 1], 3.5, None, "x"]:
    print(describe(e))
