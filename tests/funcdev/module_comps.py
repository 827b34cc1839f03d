import os
import json as j
paths = [os.path.join(p, "x") for p in ["a"]]
dumps = {k: j.dumps(k) for k in paths}
sup = [super for _ in paths]


def f():
    return [os.sep for _ in paths]
