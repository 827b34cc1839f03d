# Working with None: defaults, identity checks and optional values.
def find(items, target):
    for index, item in enumerate(items):
        if item == target:
            return index
    return None


colors = ["red", "green", "blue"]
for wanted in ["green", "purple"]:
    position = find(colors, wanted)
    if position is None:
        print(wanted, "not found")
    else:
        print(wanted, "at", position)

settings = {"timeout": None, "retries": 3}
timeout = settings.get("timeout") or 30
print(timeout, settings["retries"] if settings["retries"] is not None else 1)
print(None == None, None is None, type(None).__name__, bool(None))
