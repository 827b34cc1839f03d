import os
lazy import a.b
lazy from x import y
try:
    import q
except: pass
def f():
    import r
class C:
    import t
with w:
    import u
if x:
    import v
try:
    pass
except:
    import a1
else:
    import a2
finally:
    import a3
for i in x:
    import a4
while y:
    import a5
try:
    pass
finally:
    import a6
from a7 import *
import a8
from . import y as z
lazy from .m import (a, b as c)
