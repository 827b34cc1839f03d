class C:
    lazy from os import path
