# print() with sep= and end= keyword arguments.
print("a", "b", "c")
print("a", "b", "c", sep="")
print("a", "b", "c", sep=" -> ")
print("no newline", end="")
print(" ... continued", end="!\n")
for i in range(5):
    print(i, end=", " if i < 4 else "\n")
print(*range(3), sep="\n")
print()
print("tab", "separated", sep="\t", end="\n\n")
print("done", flush=True)
