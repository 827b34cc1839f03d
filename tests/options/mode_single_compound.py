# ast-options: -m single
if x:
    pass
else:
    y
