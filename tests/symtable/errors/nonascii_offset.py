def f():
    "ééé"; nonlocal zz
