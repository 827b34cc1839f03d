# cpyviz live probe, stage 2: the analysis. boot.py has compiled and run the snippet and
# execs this with BOOT = (NAME, DATA, CODE, RESULT): NAME as the user gave it (used for compile()
# and __file__, like `python FILE`), DATA the file's bytes (or the path when it could not be read),
# CODE the module's code object (or None), RESULT the compile error, or [stdout_fd, stderr_fd,
# exception-or-None, snapshot] of the run (snapshot: per code object [code, adaptive bytes,
# executors]). It prints one JSON document on stdout.
import sys
import os

PROBE_FORMAT = 1


def _text(s):
    """A str JSON (and Rust) can carry: lone surrogates become U+FFFD."""
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in s)


def _unavailable(what, why):
    return {"unavailable": "%s: %s" % (what, why)}


def _exc_info(e, display):
    """A SyntaxError-like exception as data."""
    d = {"type": type(e).__name__, "msg": _text(str(e))}
    if isinstance(e, SyntaxError):
        d["msg"] = _text(e.msg if e.msg is not None else str(e))
        d["filename"] = _text(e.filename if e.filename is not None else display)
        d["lineno"] = e.lineno
        d["offset"] = e.offset
        d["end_lineno"] = getattr(e, "end_lineno", None)
        d["end_offset"] = getattr(e, "end_offset", None)
        d["text"] = _text(e.text) if e.text is not None else None
    return d


# -- interpreter facts --------------------------------------------------------------------------


def interpreter_facts():
    jit = {"available": None, "enabled": None, "note": None}
    j = getattr(sys, "_jit", None)
    if j is None:
        jit["note"] = "sys._jit is not available before CPython 3.14"
    else:
        try:
            jit["available"] = bool(j.is_available())
            jit["enabled"] = bool(j.is_enabled())
        except Exception as e:  # pragma: no cover - defensive
            jit["note"] = "sys._jit failed: %r" % (e,)
    vi = sys.version_info
    machine = page_size = None
    try:
        import platform

        machine = platform.machine()
    except Exception:  # pragma: no cover - defensive
        pass
    try:
        import mmap

        page_size = mmap.PAGESIZE
    except Exception:  # pragma: no cover - defensive
        pass
    return {
        "machine": machine,
        "page_size": page_size,
        "symbol_addresses": symbol_addresses(os.environ.get("CPYVIZ_PROBE_SYMBOLS", "")),
        "version": sys.version,
        "version_info": [vi.major, vi.minor, vi.micro, vi.releaselevel, vi.serial],
        "executable": sys.executable,
        "implementation": sys.implementation.name,
        "platform": sys.platform,
        "byteorder": sys.byteorder,
        "jit": jit,
    }


def symbol_addresses(names):
    """dlsym(3) of each comma-separated name in this process (functions and data alike): the
    addresses JIT stencils patch in. Names not found are left out."""
    out = {}
    names = [n for n in names.split(",") if n]
    if not names:
        return out
    try:
        import ctypes

        lib = ctypes.CDLL(None)
        dlsym = lib.dlsym
        dlsym.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        dlsym.restype = ctypes.c_void_p
        handle = lib._handle
    except Exception:
        return out
    for n in names:
        try:
            a = dlsym(handle, n.encode())
        except Exception:
            a = None
        if a:
            out[n] = a
    return out


def memory_reader():
    """A reader of this process's memory that fails cleanly on unmapped addresses: `read(addr, n)`
    gives the bytes or raises OSError. Linux: /proc/self/mem; macOS: mach_vm_read_overwrite
    (returns an error code instead of faulting). None where neither exists."""
    if sys.platform.startswith("linux"):
        mem = open("/proc/self/mem", "rb", buffering=0)

        def read(addr, n):
            try:
                mem.seek(addr)
                data = mem.read(n)
            except (ValueError, OverflowError) as e:
                raise OSError(str(e))
            if data is None or len(data) != n:
                raise OSError("short read at %#x" % addr)
            return data

        return read
    if sys.platform == "darwin":
        import ctypes

        libc = ctypes.CDLL(None)
        task = ctypes.c_uint.in_dll(libc, "mach_task_self_").value
        vm_read = libc.mach_vm_read_overwrite
        vm_read.argtypes = [ctypes.c_uint, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_void_p,
                            ctypes.POINTER(ctypes.c_uint64)]
        vm_read.restype = ctypes.c_int

        def read(addr, n):
            buf = ctypes.create_string_buffer(n)
            got = ctypes.c_uint64(0)
            kr = vm_read(task, addr, n, ctypes.addressof(buf), ctypes.byref(got))
            if kr != 0 or got.value != n:
                raise OSError("mach_vm_read_overwrite(%#x, %d) = %d" % (addr, n, kr))
            return buf.raw

        return read
    return None


def raw_trace(ex, uops):
    """The executor's `_PyUOpInstruction` array, read from this process's memory: the trace
    pointer follows PyObject_VAR_HEAD; each instruction is 24 bytes (opcode:15 format:1, oparg,
    target or jump/error targets, operand0, operand1). Returned only if every instruction agrees
    with what the executor reports (oparg, operand0, target), else (None, why)."""
    import struct

    n = len(uops)
    if n == 0:
        return None, "empty trace"
    try:
        read = memory_reader()
        if read is None:
            return None, "reading the trace needs /proc/self/mem (Linux) or the Mach VM API (macOS)"
        (ptr,) = struct.unpack("=Q", read(id(ex) + 3 * struct.calcsize("P"), 8))
        raw = read(ptr, 24 * n)
    except (OSError, ValueError, OverflowError, AttributeError, struct.error) as e:
        return None, "trace read failed: %s" % (e,)
    out = []
    for i, u in enumerate(uops):
        op, oparg, target, o0, o1 = struct.unpack_from("=HHIQQ", raw, 24 * i)
        if oparg != u.get("oparg") or o0 != u.get("operand") or target != u.get("target"):
            return None, "the executor's memory does not match its uops at #%d" % i
        out.append({"opcode": op & 0x7FFF, "format": op >> 15, "operand1": o1})
    return out, None


# -- source ---------------------------------------------------------------------------------------


def decode_source(data):
    import tokenize
    import io

    enc, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(enc)
    if text.startswith("\ufeff"):
        text = text[1:]
    return {"text": _text(text), "encoding": enc}


# -- tokens (python -m tokenize -e) -----------------------------------------------------------


def tokens_stage(data, display):
    import io
    import tokenize

    try:
        toks = list(tokenize.tokenize(io.BytesIO(data).readline))
    except IndentationError as err:  # includes TabError
        line, column = err.args[1][1:3]
        return {"error": {"type": type(err).__name__, "msg": _text(str(err.args[0])),
                          "filename": display, "lineno": line, "offset": column}}
    except tokenize.TokenError as err:
        line, column = err.args[1]
        return {"error": {"type": "TokenError", "msg": _text(str(err.args[0])),
                          "filename": display, "lineno": line, "offset": column}}
    except SyntaxError as err:
        return {"error": {"type": "SyntaxError", "msg": _text(str(err)), "filename": display,
                          "lineno": None, "offset": None}}
    out = []
    for t in toks:
        out.append({
            "type": tokenize.tok_name[t.exact_type],
            "string": _text(t.string),
            "start": list(t.start),
            "end": list(t.end),
        })
    return {"ok": out}


# -- AST (python -m ast) ----------------------------------------------------------------------


def ast_stage(data, display, text):
    """`text`: the decoded source; spans are absolute UTF-8 byte offsets into it (CPython's
    col_offset are UTF-8 byte offsets within the line)."""
    import ast

    starts = [0]
    if text is not None:
        for line in text.encode("utf-8", "surrogatepass").split(b"\n")[:-1]:
            starts.append(starts[-1] + len(line) + 1)

    def offset(line, col):
        if line is None or col is None or not 1 <= line <= len(starts):
            return None
        return starts[line - 1] + col

    try:
        tree = ast.parse(data, display, "exec", type_comments=True)
    except SyntaxError as e:
        return {"error": _exc_info(e, display)}
    except (ValueError, UnicodeError) as e:
        return {"error": {"type": "SyntaxError", "msg": _text(str(e)), "filename": display}}

    def const(v):
        if v is None:
            return {"c": "none"}
        if v is Ellipsis:
            return {"c": "ellipsis"}
        if isinstance(v, bool):
            return {"c": "bool", "v": v}
        if isinstance(v, int):
            return {"c": "int", "v": str(v)}
        if isinstance(v, float):
            return {"c": "float", "v": repr(v)}
        if isinstance(v, complex):
            return {"c": "complex", "v": [repr(v.real), repr(v.imag)]}
        if isinstance(v, str):
            return {"c": "str", "v": _text(v)}
        if isinstance(v, bytes):
            return {"c": "bytes", "v": v.hex()}
        return {"c": "other", "v": _text(repr(v))}

    def value(v, is_const):
        if isinstance(v, ast.AST):
            return node(v)
        if isinstance(v, list):
            return {"l": [value(x, False) for x in v]}
        if is_const:
            return const(v)
        if v is None:
            return None
        if isinstance(v, bool):
            return {"c": "bool", "v": v}
        if isinstance(v, int):
            return {"i": v}
        if isinstance(v, str):
            return {"s": _text(v)}
        return const(v)

    def node(n):
        kind = type(n).__name__
        fields = []
        for name in n._fields:
            try:
                v = getattr(n, name)
            except AttributeError:
                continue
            is_const = (kind == "Constant" and name == "value") or (
                kind == "MatchSingleton" and name == "value")
            fields.append([name, value(v, is_const)])
        pos = span = None
        if "lineno" in getattr(n, "_attributes", ()) and hasattr(n, "lineno"):
            pos = [n.lineno, n.col_offset, getattr(n, "end_lineno", None),
                   getattr(n, "end_col_offset", None)]
            start = offset(pos[0], pos[1])
            end = offset(pos[2], pos[3])
            if start is not None:
                span = [start, max(start, end if end is not None else start)]
        return {"k": kind, "f": fields, "p": pos, "s": span}

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    return {"ok": node(tree)}


# -- code objects (dis) ---------------------------------------------------------------------------


def walk_code(co):
    import types

    yield co
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            for x in walk_code(c):
                yield x


def instructions(bc):
    """The instructions of a `dis.Bytecode` (labels as `dis.dis` prints them: jump targets and
    exception-table boundaries)."""
    out = []
    for i in bc:
        pos = getattr(i, "positions", None)
        starts = getattr(i, "starts_line", None)
        line_number = getattr(i, "line_number", None)
        if isinstance(starts, int) and not isinstance(starts, bool):  # 3.12: starts_line is a line
            line_number, starts = starts, True
        cache = getattr(i, "cache_info", None)
        jt = None
        try:
            jt = i.jump_target
        except Exception:
            pass
        out.append({
            "offset": i.offset,
            "start_offset": getattr(i, "start_offset", i.offset),
            "opname": i.opname,
            "opcode": i.opcode,
            "arg": i.arg,
            "argval": _text(repr(i.argval)),
            "argrepr": _text(i.argrepr),
            "starts_line": bool(starts),
            "line_number": line_number,
            "label": getattr(i, "label", None),
            "is_jump_target": bool(getattr(i, "is_jump_target", False)),
            "jump_target": jt,
            "positions": None if pos is None else [pos.lineno, pos.end_lineno, pos.col_offset,
                                                   pos.end_col_offset],
            "cache_info": None if not cache else [[n, s, bytes(d).hex()] for (n, s, d) in cache],
        })
    return out


def code_object(co, adaptive):
    import dis
    import types

    notes = []
    try:
        bc = dis.Bytecode(co, adaptive=adaptive)
    except TypeError:  # no adaptive= before 3.12
        bc = dis.Bytecode(co)
        notes.append("adaptive bytecode unavailable in this version")
    instrs = instructions(bc)  # iterating sets the exception entries' labels (3.13+)
    entries = []
    for e in getattr(bc, "exception_entries", ()):
        entries.append({
            "start": e.start, "end": e.end, "target": e.target, "depth": e.depth,
            "lasti": bool(e.lasti),
            "start_label": getattr(e, "start_label", None),
            "end_label": getattr(e, "end_label", None),
            "target_label": getattr(e, "target_label", None),
        })
    return {
        "repr": _text(repr(co)),
        "name": co.co_name,
        "qualname": getattr(co, "co_qualname", co.co_name),
        "filename": _text(co.co_filename),
        "firstlineno": co.co_firstlineno,
        "flags": co.co_flags,
        "argcount": co.co_argcount,
        "posonlyargcount": co.co_posonlyargcount,
        "kwonlyargcount": co.co_kwonlyargcount,
        "nlocals": co.co_nlocals,
        "stacksize": co.co_stacksize,
        "code_len": len(co.co_code),
        "consts": [_text(repr(c)) for c in co.co_consts],
        "names": list(co.co_names),
        "varnames": list(co.co_varnames),
        "cellvars": list(co.co_cellvars),
        "freevars": list(co.co_freevars),
        "linestarts": [[o, l] for (o, l) in dis.findlinestarts(co)],
        "exception_table": entries,
        "instructions": instrs,
        "children": [code_object(c, adaptive) for c in co.co_consts
                     if isinstance(c, types.CodeType)],
        "notes": notes,
    }


# -- execution --------------------------------------------------------------------------------


def collect_run(result):
    """The snippet's run, from boot.py's [stdout_fd, stderr_fd, exception]."""
    import traceback

    out_fd, err_fd, e = result
    rec = {"exception": None, "exit_code": 0}

    def read(fd):
        os.lseek(fd, 0, 0)
        chunks = []
        while True:
            b = os.read(fd, 1 << 16)
            if not b:
                break
            chunks.append(b)
        os.close(fd)
        return b"".join(chunks).decode("utf-8", "replace")

    extra = ""
    if isinstance(e, SystemExit):
        c = e.code
        if c is None:
            ec = 0
        elif isinstance(c, int):
            ec = c
        else:
            ec = 1
            extra = "%s\n" % (c,)
        rec["exception"] = {"type": "SystemExit", "msg": _text(str(e)), "traceback": ""}
        rec["exit_code"] = ec
    elif e is not None:
        tb = e.__traceback__
        tb = tb.tb_next if tb is not None else None  # drop boot.py's own frame
        text = "".join(traceback.format_exception(type(e), e, tb))
        rec["exception"] = {"type": type(e).__name__, "msg": _text(str(e)),
                            "traceback": _text(text)}
        rec["exit_code"] = 1
    rec["stdout"] = read(out_fd)
    rec["stderr"] = read(err_fd) + extra
    return rec


def jit_region_address(ex, machine_code):
    """Where the executor's machine code lives: found by reading the executor object (a read of
    unmapped memory fails cleanly, see memory_reader) and checking the bytes."""
    import struct

    if not machine_code:
        return None, "no machine code"
    try:
        read = memory_reader()
        if read is None:
            return None, "address lookup needs /proc/self/mem (Linux) or the Mach VM API (macOS)"
        size = sys.getsizeof(ex)
        n = len(machine_code)
        raw = read(id(ex), min(size, 1 << 16))
        for i in range(0, len(raw) - 15, 8):
            word, ptr = struct.unpack_from("=QQ", raw, i)
            if word != n or ptr == 0:
                continue
            try:
                if read(ptr, n) == machine_code:
                    return ptr, None
            except OSError:
                continue
    except (OSError, ValueError, OverflowError, AttributeError) as e:
        return None, "address lookup failed: %s" % (e,)
    return None, "address not found in the executor object"


def _mapped_ranges():
    """Sorted (start, end) of this process's mappings (/proc/self/maps), or [] if unknown."""
    out = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                lo, _, hi = line.split(" ", 1)[0].partition("-")
                out.append((int(lo, 16), int(hi, 16)))
    except (OSError, ValueError):
        return []
    out.sort()
    return out


def _dladdr():
    """dladdr(3) through ctypes: address -> (symbol or None, symbol address, file or None)."""
    import ctypes

    class DlInfo(ctypes.Structure):
        _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                    ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]

    fn = ctypes.CDLL(None).dladdr
    fn.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]
    fn.restype = ctypes.c_int

    def lookup(addr):
        info = DlInfo()
        if not fn(addr, ctypes.byref(info)):
            return None
        sname = info.dli_sname.decode("utf-8", "replace") if info.dli_sname else None
        fname = info.dli_fname.decode("utf-8", "replace") if info.dli_fname else None
        return sname, info.dli_saddr or 0, info.dli_fbase or 0, fname

    return lookup


def _known_objects(snapshot, extra):
    """id() -> short description, for objects a JIT trace may embed: the snippet's code objects,
    their constants and names, the module's globals, builtins, small ints and singletons."""
    import builtins
    import types

    known = {}

    def add(obj, what):
        known.setdefault(id(obj), what)

    for co, _adaptive, _found in snapshot:
        add(co, "code object %s" % getattr(co, "co_qualname", co.co_name))
        for c in co.co_consts:
            if not isinstance(c, types.CodeType):
                add(c, "constant %s" % _text(repr(c))[:40])
        for n in co.co_names:
            add(n, "name %r" % n)
    for k, v in list(extra.items()) if isinstance(extra, dict) else ():
        if isinstance(k, str) and not k.startswith("__"):
            add(v, "global %s" % k)
    for k, v in list(vars(builtins).items()):
        add(v, "builtins.%s" % k)
    for v in (None, True, False, Ellipsis, NotImplemented, (), "", b""):
        add(v, "%r" % (v,))
    for i in range(-5, 257):
        add(i, "int %d" % i)
    return known


def jit_symbols(records, regions, snapshot, extra):
    """For each executor with machine code at a known address: every 8-byte value in its region
    (at any byte offset: data words and `mov r64, imm64` immediates) and every rel32 call/jump
    target (E8/E9/0F 8x) that points outside the region into mapped memory, resolved as another
    executor's region, a known Python object (by id()), or a dladdr symbol. Candidates come from
    the raw bytes, so some are not real operands: cpyviz only uses the entries whose address an
    instruction actually references."""
    import bisect
    import struct

    maps = _mapped_ranges()
    starts = [lo for lo, _ in maps]
    try:
        lookup = _dladdr()
    except Exception as e:
        lookup, why = None, "dladdr unavailable: %r" % (e,)
    else:
        why = None
    known = _known_objects(snapshot, extra)

    def mapped(v):
        i = bisect.bisect_right(starts, v) - 1
        return i >= 0 and v < maps[i][1]

    def resolve(v):
        for addr, n, rec in regions:
            if addr <= v < addr + n:
                return "executor", "executor for %s at offset %d +%#x" % (
                    rec["qualname"], rec["offset"], v - addr)
        r = lookup(v) if lookup is not None else None
        sname, saddr, fbase, fname = r if r is not None else (None, 0, 0, None)
        if v in known:
            if sname and v == saddr:
                return "object", "%s (%s)" % (sname, known[v])
            return "object", known[v]
        if sname:
            return "symbol", sname if v == saddr else "%s+%#x" % (sname, v - saddr)
        if fname:
            return "file", "%s+%#x" % (os.path.basename(fname), v - fbase)
        return None

    for addr, n, rec in regions:
        code = bytes.fromhex(rec["jit_code"])
        cands = set()
        for i in range(0, len(code) - 7):
            cands.add(struct.unpack_from("<Q", code, i)[0])
        for i in range(0, len(code) - 4):
            b = code[i]
            if b in (0xE8, 0xE9):
                cands.add((addr + i + 5 + struct.unpack_from("<i", code, i + 1)[0]) & (2**64 - 1))
            elif b == 0x0F and i + 6 <= len(code) and 0x80 <= code[i + 1] <= 0x8F:
                cands.add((addr + i + 6 + struct.unpack_from("<i", code, i + 2)[0]) & (2**64 - 1))
        out = []
        for v in sorted(cands):
            if addr <= v < addr + n or v < 0x10000 or not mapped(v):
                continue
            r = resolve(v)
            if r is not None:
                out.append({"address": v, "kind": r[0], "name": _text(r[1])})
        rec["jit_symbols"] = out
        if why:
            rec["jit_symbols_note"] = why


def executors_stage(snapshot, extra=None):
    """The executors boot.py found right after the run: per code object (dis order), entries
    [offset, executor, uops-or-error, is_valid, get_opcode, get_oparg, get_jit_code]."""
    try:
        import _opcode
    except ImportError:
        return _unavailable("executors", "no _opcode module")
    if not hasattr(_opcode, "get_executor"):
        return _unavailable("executors", "_opcode.get_executor is not available in %d.%d"
                            % sys.version_info[:2])
    jit = getattr(sys, "_jit", None)
    jit_on = bool(jit is not None and jit.is_enabled())

    def ok(v):
        return None if isinstance(v, BaseException) else v

    out = []
    for index, (co, _adaptive, found) in enumerate(snapshot):
        for off, ex, uop_list, valid, opcode, oparg, mc in found:
            uops = []
            for u in ok(uop_list) or ():
                u = tuple(u)
                uops.append({
                    "name": u[0] if len(u) > 0 else "?",
                    "oparg": u[1] if len(u) > 1 else None,
                    "target": u[2] if len(u) > 2 else None,
                    "operand": u[3] if len(u) > 3 else None,
                })
            raw, raw_note = raw_trace(ex, uops)
            rec = {
                "address": id(ex),
                "raw": raw,
                "raw_note": raw_note,
                "code_index": index,
                "qualname": getattr(co, "co_qualname", co.co_name),
                "offset": off,
                "valid": ok(valid),
                "opcode": ok(opcode),
                "oparg": ok(oparg),
                "uops": uops,
                "jit_code": None,
                "jit_address": None,
                "jit_note": None,
            }
            if isinstance(mc, AttributeError):
                rec["jit_note"] = "get_jit_code() is not available in %d.%d" % sys.version_info[:2]
            elif not jit_on:
                rec["jit_note"] = "the JIT is off"
            elif isinstance(mc, BaseException) or mc is None:
                rec["jit_note"] = "get_jit_code() failed: %s" % (mc,)
            else:
                mc = bytes(mc)
                rec["jit_code"] = mc.hex()
                rec["jit_address"], rec["jit_note"] = jit_region_address(ex, mc)
            out.append(rec)
    regions = [(r["jit_address"], len(r["jit_code"]) // 2, r) for r in out
               if r["jit_address"] and r["jit_code"]]
    try:
        jit_symbols(out, regions, snapshot, extra)
    except Exception as e:  # annotations are optional: never lose the executors over them
        for r in out:
            r["jit_symbols"] = []
            r["jit_symbols_note"] = "symbol lookup failed: %r" % (e,)
    return {"ok": out}


def specialized_stage(code, snapshot):
    """The adaptive bytecode boot.py saved right after the run, decoded by dis itself: dis reads
    `co._co_code_adaptive` through `dis._get_code_array`, which is pointed at the snapshot (with
    ENTER_EXECUTOR replaced by the executor's opcode and oparg, as dis does)."""
    import dis

    saved = {id(co): (adaptive, {e[0]: e for e in found}) for co, adaptive, found in snapshot}
    original = getattr(dis, "_get_code_array", None)
    enter = dis.opmap.get("ENTER_EXECUTOR")
    if original is None:
        return {"ok": code_object(code, True)}

    def from_snapshot(co, adaptive):
        if not adaptive or id(co) not in saved:
            return original(co, adaptive)
        raw, execs = saved[id(co)]
        res = bytearray(raw)
        for i in range(0, len(res), 2):
            if res[i] == enter and i in execs:
                op, arg = execs[i][4], execs[i][5]
                if isinstance(op, int) and isinstance(arg, int):
                    res[i], res[i + 1] = op, arg & 0xFF
        return bytes(res)

    dis._get_code_array = from_snapshot
    try:
        return {"ok": code_object(code, True)}
    finally:
        dis._get_code_array = original


def main():
    display, data, code, result = BOOT  # noqa: F821 (set by boot.py)
    doc = {"probe": PROBE_FORMAT, "python": interpreter_facts()}
    vi = sys.version_info
    if vi < (3, 12):
        doc["fatal"] = "CPython %d.%d is too old: cpyviz needs 3.12 or newer" % (vi[0], vi[1])
        emit(doc)
        return
    if isinstance(result, OSError):
        doc["fatal"] = "can't open file '%s': [Errno %s] %s" % (display, result.errno,
                                                                 result.strerror)
        emit(doc)
        return
    if code is not None:
        # boot.py took the snapshot right after the run; decode it.
        out_fd, err_fd, exc, snapshot = result[:4]
        namespace = result[4] if len(result) > 4 else None
        try:
            doc["specialized"] = specialized_stage(code, snapshot)
        except Exception as e:
            doc["specialized"] = _unavailable("specialized bytecode", repr(e))
        try:
            doc["executors"] = executors_stage(snapshot, namespace)
        except Exception as e:
            doc["executors"] = _unavailable("executors", repr(e))
        doc["run"] = {"ok": collect_run((out_fd, err_fd, exc))}
        doc["bytecode"] = {"ok": code_object(code, False)}
    else:
        if isinstance(result, SyntaxError):
            err = {"error": _exc_info(result, display)}
        else:
            err = {"error": {"type": "SyntaxError", "msg": _text(str(result)),
                             "filename": display}}
        for k in ("run", "specialized", "executors", "bytecode"):
            doc[k] = err
    try:
        doc["source"] = decode_source(data)
    except (SyntaxError, UnicodeError, LookupError) as e:
        doc["source"] = {"error": _text(str(e))}
    doc["tokens"] = tokens_stage(data, display)
    doc["ast"] = ast_stage(data, display, doc["source"].get("text"))
    doc["warnings"] = warnings_stage(data, display)
    emit(doc)


def warnings_stage(data, display):
    """The SyntaxWarnings `python -m ast` and `python -m dis` print: [lineno, message] pairs,
    the parser's, then the compiler's (compile() issues the parser's first)."""
    import ast
    import warnings

    def record(f):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                f()
            except Exception:
                pass
        return [[w.lineno, _text(str(w.message))] for w in caught
                if issubclass(w.category, SyntaxWarning)]

    parse = record(lambda: ast.parse(data, display, "exec"))
    every = record(lambda: compile(data, display, "exec"))
    return {"parse": parse, "compile": every[len(parse):]}


def emit(doc):
    import json

    sys.stdout.write(json.dumps(doc))
    sys.stdout.write("\n")
    sys.stdout.flush()


main()
