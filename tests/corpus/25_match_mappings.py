# match with mapping patterns and **rest.
def handle(event):
    match event:
        case {"type": "click", "pos": (x, y)}:
            return f"click at {x},{y}"
        case {"type": "key", "key": str(key), **rest}:
            return f"key {key} with {sorted(rest)}"
        case {"type": kind}:
            return f"unknown event {kind}"
        case _:
            return "not an event"


print(handle({"type": "click", "pos": (3, 4)}))
print(handle({"type": "key", "key": "q", "shift": True}))
print(handle({"type": "scroll"}))
print(handle([1, 2]))
