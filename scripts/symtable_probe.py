"""Dump CPython's symbol table for one file, with the code objects the compiler makes from it, as
JSON — the reference the built-in compiler's symbol table (crates/compiler/src/symtable.rs) is compared
with.

usage: python3.X scripts/symtable_probe.py FILE     (run by scripts/record-symtable)

Output:

    {"version": "3.14", "table": TABLE}
    TABLE = {"name", "type" (_symtable.TYPE_*), "lineno", "nested", "varnames",
             "symbols": [[name, flags], ...]   (ste_symbols in order; flags include the scope
                                                bits, scope = flags >> SCOPE_OFF & SCOPE_MASK),
             "children": [TABLE, ...]          (after analysis: inlined comprehensions spliced
                                                out, as `symtable` shows them),
             "code": CODE | null}
    CODE  = {"name", "qualname", "firstlineno", "flags", "argcount", "posonlyargcount",
             "kwonlyargcount", "varnames", "cellvars", "freevars"}

For a file under an `errors/` directory CPython must reject, the output is instead
    {"version": "3.14", "error": {"msg", "lineno", "offset", "end_lineno", "end_offset"}}
(the SyntaxError the symbol table raises).

A table's "code" is the code object compiled from it: the module's code for the top table, and
for a child table a nested code object of the parent's code (from co_consts) with the
expected co_name: first those whose co_firstlineno is the table's line, then the others in
order (but never a function's `__annotate__` table: its code, if any, starts on the `def` line). With `from __future__ import annotations` the annotation tables are not children, so
the `__annotate__` code of functions stays unmatched. Tables the compiler makes no code for (the
`__annotate__` of a function without annotations, ...) get null; the module table also lists
nested code objects that matched no table under "unmatched_code" (expected empty).
"""

import json
import sys
import symtable


def code_name(table_name, table_type):
    if table_type == "module":
        return "<module>"
    if table_type == "type parameters":
        return "<generic parameters of " + table_name + ">"
    if table_name in ("lambda", "genexpr", "listcomp", "setcomp", "dictcomp"):
        return "<" + table_name + ">"
    return table_name


def nested_codes(co):
    return [c for c in co.co_consts if hasattr(c, "co_code")]


def code_info(co):
    return {
        "name": co.co_name,
        "qualname": co.co_qualname,
        "firstlineno": co.co_firstlineno,
        "flags": co.co_flags,
        "argcount": co.co_argcount,
        "posonlyargcount": co.co_posonlyargcount,
        "kwonlyargcount": co.co_kwonlyargcount,
        "varnames": list(co.co_varnames),
        "cellvars": list(co.co_cellvars),
        "freevars": list(co.co_freevars),
    }


unmatched = []


def is_function_annotate(children, j):
    """The `__annotate__` table of a function's parameters: the function's table follows it,
    on the same line."""
    if children[j].get_name() != "__annotate__" or j + 1 >= len(children):
        return False
    nxt = children[j + 1]
    return nxt.get_type() == "function" and nxt.get_lineno() == children[j].get_lineno()


def table(t, co):
    e = t._table
    out = {
        "name": e.name,
        "type": e.type,
        "lineno": e.lineno,
        "nested": e.nested,
        "varnames": list(e.varnames),
        "symbols": [[k, v] for k, v in e.symbols.items()],
        "code": code_info(co) if co is not None else None,
        "children": [],
    }
    pool = nested_codes(co) if co is not None else []
    used = [False] * len(pool)
    children = t.get_children()
    matches = [None] * len(children)
    # Match the code objects starting on a table's line first (a class's `__annotate__` comes
    # after its methods' in co_consts and starts on the class's line), then the rest by name.
    for same_line in (True, False):
        for j, child in enumerate(children):
            if matches[j] is not None:
                continue
            want = code_name(child.get_name(), child.get_type())
            for i, c in enumerate(pool):
                if used[i] or c.co_name != want:
                    continue
                if same_line and c.co_firstlineno != child.get_lineno():
                    continue
                if not same_line and is_function_annotate(children, j):
                    # A function's `__annotate__` code starts on its `def` line (matched
                    # above); without annotations there is none.
                    continue
                used[i] = True
                matches[j] = c
                break
    for child, match in zip(children, matches):
        out["children"].append(table(child, match))
    for i, c in enumerate(pool):
        if not used[i]:
            unmatched.append(c.co_qualname)
    return out


def main():
    path = sys.argv[1]
    with open(path, "rb") as f:
        src = f.read()
    try:
        co = compile(src, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        if "/errors/" not in path:
            raise
        error = {k: getattr(e, k) for k in ("msg", "lineno", "offset", "end_lineno", "end_offset")}
        json.dump({"version": "%d.%d" % sys.version_info[:2], "error": error}, sys.stdout)
        sys.stdout.write("\n")
        return
    top = symtable.symtable(src.decode("utf-8"), path, "exec")
    result = {
        "version": "%d.%d" % sys.version_info[:2],
        "table": table(top, co),
        "unmatched_code": unmatched,
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


main()
