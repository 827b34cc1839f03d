"""Implicit concatenation of u-strings, empty strings and f-strings: the merged constants keep the kind of their first piece, and an empty string starts one."""
x = 1
print(u"a" f"{x}" u"c", "" u"b" f"{x}", u"" "d" f"{x}")
