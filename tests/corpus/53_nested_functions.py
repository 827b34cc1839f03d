# Nested functions: helpers defined inside other functions.
def tokenize(text):
    def is_word_char(c):
        return c.isalnum() or c == "_"

    def flush(buffer, out):
        if buffer:
            out.append("".join(buffer))
            buffer.clear()

    words, buffer = [], []
    for char in text:
        if is_word_char(char):
            buffer.append(char)
        else:
            flush(buffer, words)
    flush(buffer, words)
    return words


print(tokenize("hello, world! snake_case and 42 numbers"))
print(len(tokenize("a b c " * 2000)))
