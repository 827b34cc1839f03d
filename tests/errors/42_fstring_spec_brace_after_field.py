"""Valid: in a format spec, a doubled brace after a nested field is an escaped brace (the tokenizer reads the spec {w}{z and then the text })."""
class Echo:
    def __format__(self, spec):
        return spec


w = 8
print(f"{Echo():{w}{{z}}}")
