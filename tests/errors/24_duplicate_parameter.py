"""A repeated parameter: ast.parse accepts it, the symtable does not."""


def area(width, height, width=2):
    return width * height
