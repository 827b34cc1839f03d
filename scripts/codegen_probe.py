"""Dump CPython's own *codegen* output (the instruction sequence before the flow-graph optimizer)
for one file, as JSON — the reference the built-in compiler's codegen is compared with.

usage: python3.X scripts/codegen_probe.py FILE     (run by scripts/record-codegen)

Uses `_testinternalcapi.compiler_codegen`, which returns the module's instruction sequence (jump
and SETUP_* opargs already resolved to instruction indices), the module's metadata and the
sequences of the nested code units. Output:

    {"version": "3.14", "module": UNIT}
    UNIT = {"name", "qualname", "firstlineno", "instrs": [[opname, oparg|null, lineno,
            end_lineno, col_offset, end_col_offset], ...], "consts": [CONST, ...] | null,
            "argcount", "posonlyargcount", "kwonlyargcount" (module only), "code": CODE,
            "nested": [UNIT, ...]}
    CODE  = the final code object's fields (names, varnames, cellvars, freevars, flags, ...),
            which the flow graph and the assembler keep in codegen's order
    CONST = {"t": "none"|"bool"|"int"|"float"|"complex"|"str"|"bytes"|"tuple"|"frozenset"|
             "slice"|"ellipsis"|"code", ...}

The consts of nested units are not exposed by CPython (null); their LOAD_CONST opargs still
index codegen's own (pre-optimization) list.
"""

import ast
import json
import sys

import _testinternalcapi
import opcode


def const(value):
    if value is None:
        return {"t": "none"}
    if value is Ellipsis:
        return {"t": "ellipsis"}
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": str(value)}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}
    if isinstance(value, complex):
        return {"t": "complex", "re": repr(value.real), "im": repr(value.imag)}
    if isinstance(value, str):
        return {"t": "str", "v": value}
    if isinstance(value, bytes):
        return {"t": "bytes", "v": list(value)}
    if isinstance(value, tuple):
        return {"t": "tuple", "v": [const(v) for v in value]}
    if isinstance(value, frozenset):
        return {"t": "frozenset", "v": [const(v) for v in value]}
    if isinstance(value, slice):
        return {"t": "slice", "v": [const(value.start), const(value.stop), const(value.step)]}
    if hasattr(value, "co_code"):
        return {"t": "code", "name": value.co_name, "firstlineno": value.co_firstlineno}
    raise TypeError(f"unexpected constant {value!r}")


def code_fields(co):
    return {
        "name": co.co_name,
        "qualname": co.co_qualname,
        "firstlineno": co.co_firstlineno,
        "flags": co.co_flags,
        "argcount": co.co_argcount,
        "posonlyargcount": co.co_posonlyargcount,
        "kwonlyargcount": co.co_kwonlyargcount,
        "names": list(co.co_names),
        "varnames": list(co.co_varnames),
        "cellvars": list(co.co_cellvars),
        "freevars": list(co.co_freevars),
        "consts": [const(c) for c in co.co_consts],
    }


def opname(op):
    if op in opcode.opname and not opcode.opname[op].startswith("<"):
        return opcode.opname[op]
    for name, num in opcode._specialized_opmap.items() if hasattr(opcode, "_specialized_opmap") else ():
        if num == op:
            return name
    for name, num in opcode.opmap.items():
        if num == op:
            return name
    return f"<{op}>"


def unit(seq, co, meta):
    instrs = [[opname(i[0]), i[1], i[2], i[3], i[4], i[5]] for i in seq.get_instructions()]
    children = [c for c in co.co_consts if hasattr(c, "co_code")] if co is not None else []
    nested = seq.get_nested()
    out = {
        "name": co.co_name if co else None,
        "qualname": co.co_qualname if co else None,
        "firstlineno": co.co_firstlineno if co else None,
        "instrs": instrs,
        "consts": [const(c) for c in meta["consts"]] if meta else None,
        "code": code_fields(co) if co else None,
        "nested": [],
    }
    if meta:
        for key in ("argcount", "posonlyargcount", "kwonlyargcount"):
            out[key] = meta[key]
    # Nested sequences come in the order their code units were finished, which is the order
    # their code objects enter co_consts.
    for i, child_seq in enumerate(nested):
        child_co = children[i] if i < len(children) else None
        out["nested"].append(unit(child_seq, child_co, None))
    return out


def main():
    path = sys.argv[1]
    with open(path, "rb") as f:
        src = f.read()
    tree = ast.parse(src, path)
    seq, meta = _testinternalcapi.compiler_codegen(tree, path, 0, 0)
    module = compile(src, path, "exec")
    print(json.dumps({
        "version": f"{sys.version_info.major}.{sys.version_info.minor}",
        "module": unit(seq, module, meta),
    }, indent=None, separators=(",", ":")))


main()
