def f():
    lazy import os
