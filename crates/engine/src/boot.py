# cpyviz live probe, stage 1 (passed with -c): compile and RUN the snippet, snapshot what it left
# behind, then hand over to the analysis script (probe.py, passed as argv[3] so that none of its
# names exist in the process while the snippet runs).
#
# usage: python -s -P -c BOOT NAME PATH PROBE
#
# Before the run this imports exactly the modules stage.py imports (sys, os, dis, types, runpy)
# and defines few names, none of them likely string constants of a snippet: which strings are
# already interned (immortal) decides, e.g., whether a constant specializes as
# LOAD_CONST_IMMORTAL or LOAD_CONST_MORTAL. Keep it small and parseable by any Python 3.
import sys, os, dis, types, runpy

path, _cpv_file, _cpv_probe = sys.argv[1], sys.argv[2], sys.argv[3]
code = _cpv_data = _cpv_result = None
if sys.version_info >= (3, 12):
    try:
        with open(_cpv_file, "rb") as f:
            _cpv_data = f.read()
        code = compile(_cpv_data, path, "exec")
    except BaseException as _cpv_e:
        _cpv_result = _cpv_e
if isinstance(code, types.CodeType):
    # The snippet's output, captured at the file-descriptor level (memfd: no import needed).
    if hasattr(os, "memfd_create"):
        _cpv_fds = [os.memfd_create("cpyviz-stdout"), os.memfd_create("cpyviz-stderr")]
    else:
        import tempfile

        _cpv_fds = [os.dup(tempfile.TemporaryFile().fileno()) for _cpv_i in range(2)]
    sys.stdout.flush()
    sys.stderr.flush()
    _cpv_saved = [os.dup(1), os.dup(2), sys.stdout, sys.stderr, sys.argv]
    os.dup2(_cpv_fds[0], 1)
    os.dup2(_cpv_fds[1], 2)
    sys.argv = [path]
    ns = {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__}
    try:
        exec(code, ns)
    except BaseException as _cpv_e:
        _cpv_result = _cpv_e
    for _cpv_s in (sys.stdout, sys.stderr, _cpv_saved[2], _cpv_saved[3]):
        try:
            _cpv_s.flush()
        except BaseException:
            pass
    sys.stdout, sys.stderr, sys.argv = _cpv_saved[2], _cpv_saved[3], _cpv_saved[4]
    os.dup2(_cpv_saved[0], 1)
    os.dup2(_cpv_saved[1], 2)
    os.close(_cpv_saved[0])
    os.close(_cpv_saved[1])
    # Snapshot at once what stage.py would look at next: every code object (dis order) with its
    # adaptive bytecode and its executors (uops, validity, opcode, oparg, machine code).
    import _opcode

    _cpv_walk, _cpv_i = [code], 0
    while _cpv_i < len(_cpv_walk):
        co = _cpv_walk[_cpv_i]
        _cpv_walk[_cpv_i + 1:_cpv_i + 1] = [c for c in co.co_consts if isinstance(c, types.CodeType)]
        _cpv_walk[_cpv_i] = [co, co._co_code_adaptive, []]
        for off in range(0, len(co.co_code), 2) if hasattr(_opcode, "get_executor") else ():
            try:
                ex = _opcode.get_executor(co, off)
            except (ValueError, RuntimeError):
                continue
            _cpv_x = [off, ex]
            for _cpv_m in ("__iter__", "is_valid", "get_opcode", "get_oparg", "get_jit_code"):
                try:
                    _cpv_x.append(list(ex) if _cpv_m == "__iter__" else getattr(ex, _cpv_m)())
                except BaseException as _cpv_e:
                    _cpv_x.append(_cpv_e)
            _cpv_walk[_cpv_i][2].append(_cpv_x)
        _cpv_i += 1
    _cpv_result = [_cpv_fds[0], _cpv_fds[1], _cpv_result, _cpv_walk, ns]
exec(compile(_cpv_probe, "<cpyviz-probe>", "exec"),
     {"__name__": "cpyviz_probe", "BOOT": (path, _cpv_data, code, _cpv_result)})
