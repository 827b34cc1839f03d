"""Heap queues (cpyviz's model of heapq): the heap operations are native
(_heapq), as they are C in CPython; nlargest, nsmallest and merge are Python."""

__all__ = ['heappush', 'heappop', 'heapify', 'heapreplace', 'merge',
           'nlargest', 'nsmallest', 'heappushpop', 'heappush_max',
           'heappop_max', 'heapify_max', 'heapreplace_max', 'heappushpop_max']

from _heapq import (heappush, heappop, heapify, heapreplace, heappushpop,
                    heappush_max, heappop_max, heapify_max, heapreplace_max,
                    heappushpop_max)


def merge(*iterables, key=None, reverse=False):
    """Merge sorted inputs into one sorted stream (lazily)."""
    entries = []
    for order, it in enumerate(map(iter, iterables)):
        for value in it:
            entries.append([value if key is None else key(value), order, value, it])
            break
    while entries:
        if reverse:
            best = max(entries, key=lambda e: (e[0], -e[1]))
        else:
            best = min(entries, key=lambda e: (e[0], e[1]))
        yield best[2]
        for value in best[3]:
            best[0] = value if key is None else key(value)
            best[2] = value
            break
        else:
            entries.remove(best)


def nsmallest(n, iterable, key=None):
    """The n smallest items (as sorted(iterable, key=key)[:n])."""
    if n <= 0:
        return []
    return sorted(iterable, key=key)[:n]


def nlargest(n, iterable, key=None):
    """The n largest items (as sorted(iterable, key=key, reverse=True)[:n])."""
    if n <= 0:
        return []
    return sorted(iterable, key=key, reverse=True)[:n]
