#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Comments and blank lines may appear almost anywhere.


# before a function
def compute(x):  # trailing comment

    # comment inside the body

    y = x * 2  # double it
        # an oddly indented comment is fine
    return y
# a comment at column 0 between statements


values = [
    1,  # first
    # a comment between items
    2,
]

    # indented comment at module level
print(compute(21), values)  # the end
# last line comment, no newline after it