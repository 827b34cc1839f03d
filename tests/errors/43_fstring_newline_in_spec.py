"""A newline in the format spec of a single-quoted f-string."""
width = 8
label = f"{width:>10
