# match with capture and sequence patterns.
def describe(command):
    match command.split():
        case []:
            return "empty"
        case ["go", direction]:
            return f"going {direction}"
        case ["take", *items]:
            return f"taking {len(items)} items"
        case [single]:
            return f"just {single}"
        case [first, _, *rest]:
            return f"{first} and {len(rest)} more"


for cmd in ["", "go north", "take sword shield", "look", "a b c d"]:
    print(repr(cmd), "->", describe(cmd))
