# Slicing with start, stop and step, including negative steps and slice objects.
letters = "abcdefghij"
nums = list(range(10))

print(letters[2:5], letters[:3], letters[7:], letters[-3:])
print(letters[::2], letters[1::3], letters[::-1], letters[8:2:-2])
print(nums[:], nums[-1], nums[-4:-1])

nums[2:5] = ["x", "y"]
print(nums)
del nums[::3]
print(nums)

middle = slice(3, 7)
print(letters[middle], middle.indices(len(letters)))
grid = [[r * 10 + c for c in range(4)] for r in range(3)]
print([row[1:3] for row in grid[::2]])
