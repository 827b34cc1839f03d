"""A number followed by a non-ASCII letter: two tokens, then invalid syntax."""
size = 15é
