# ast-options: --feature-version 3.7
if (n := len(a)) > 10:
    pass
