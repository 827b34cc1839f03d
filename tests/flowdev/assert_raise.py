assert a, "m"
assert b
raise X from Y
raise
raise Z
