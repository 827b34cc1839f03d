"""Bisection of sorted lists (cpyviz's model of bisect): native (_bisect), as
in CPython."""

from _bisect import bisect_left, bisect_right, insort_left, insort_right

bisect = bisect_right
insort = insort_right
