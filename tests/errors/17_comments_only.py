# Only comments here.

# Nothing else, but still a valid module.
