# A misspelt name: NameError suggests the variable that exists.
total_count = 10
print(total_cuont + 1)
