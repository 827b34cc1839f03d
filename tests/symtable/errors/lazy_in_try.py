try:
    pass
except* E:
    lazy import os
