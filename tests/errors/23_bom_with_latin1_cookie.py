# -*- coding: latin-1 -*-
"""A UTF-8 BOM, then a cookie for another encoding."""
x = 1
