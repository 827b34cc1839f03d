# Adding a str and an int.
count = 3
label = "items: " + count
