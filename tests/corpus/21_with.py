# Context managers: one with-item and several with-items.
class Tag:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        print(f"<{self.name}>")
        return self

    def __exit__(self, exc_type, exc, tb):
        print(f"</{self.name}>")
        return False


with Tag("html"):
    with Tag("body") as body, Tag("p"):
        print("hello from", body.name)

with (
    Tag("ul"),
    Tag("li") as item,
):
    print("item", item.name)
