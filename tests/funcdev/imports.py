import os
import os.path
import os.path as osp
import collections.abc as cabc, sys
from os import path, sep as separator
from . import sibling
from .pkg.mod import thing as other
from .. import parent
from json import *

try:
    import missing
except ImportError:
    missing = None


def lazy_load():
    import json
    from json import dumps as d
    return json, d


class Loader:
    import math
    from math import pi as __pi
