# ast-options: --show-empty -i 0
def f(): return []
