# More match forms: value patterns, nested patterns, as-patterns and star wildcards.
class Color:
    RED = "red"
    GREEN = "green"


def classify(value):
    match value:
        case Color.RED | Color.GREEN as c:
            return f"known color {c}"
        case (int(a), int(b)) if a < b:
            return f"ascending pair {a} < {b}"
        case [("x" | "y") as axis, [*_, last]]:
            return f"axis {axis}, last {last}"
        case {"name": str() as name, "tags": [_, *_] as tags}:
            return f"{name} with {len(tags)} tags"
        case str() if not value:
            return "empty string"
        case -1 | 0 | 1.5 | True | False | None | b"raw" | "s":
            return f"literal {value!r}"
    return "no match"


for v in ["red", (1, 2), ["x", [4, 5, 6]], {"name": "n", "tags": ["a"]}, "", -1, 1.5, b"raw", (2, 1)]:
    print(classify(v))
