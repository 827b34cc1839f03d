# Boolean operators short-circuit and return one of their operands.
def loud(value):
    print("evaluated", value)
    return value


print(loud(0) and loud(1))
print(loud(1) or loud(2))
print(loud("") or "default")
print(None or [] or {} or "last")
print(not 0, not "text", True and "yes", False or None)
name = ""
print(name or "anonymous", len(name) > 0 and name[0])
