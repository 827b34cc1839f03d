# The reference side of the sweep: a fork server run by a reference CPython as
# `python3.X -c "$(cat reference.py)"` (sweep.py starts it).
#
# Each request is one line on stdin, tab-separated:
#     check  FILE  -                           does CPython compile FILE? (exit status 0 or 1)
#     run    MODULE  ARGS  FILE  OUTPREFIX     `python -m MODULE ARGS FILE` (ARGS: space-separated)
# and gets one line on stdout: the child's exit status. `run` writes OUTPREFIX.out (stdout) and
# OUTPREFIX.err (stderr).
#
# Every request runs in a child forked from this process, so one interpreter start-up serves
# every file while each output is what a fresh `python -m MODULE` prints: the server imports
# nothing beyond what start-up and `-m` (runpy) import, compiles nothing itself, takes module
# names and flags as data, and prefixes its own names with `_cpyviz_`. That matters: CPython's
# output depends on the process's interned strings (a frozenset constant holding an interned
# name is rebuilt, which can reorder it), so the server must not intern anything `-m dis` would
# not have interned.
import os as _cpyviz_os
import sys as _cpyviz_sys
import runpy as _cpyviz_runpy


def _cpyviz_child(_cpyviz_fields):
    if _cpyviz_fields[0] == "check":
        with open(_cpyviz_fields[1], "rb") as _cpyviz_f:
            _cpyviz_data = _cpyviz_f.read()
        try:
            compile(_cpyviz_data, _cpyviz_fields[1], "exec")
        except BaseException:
            return 1
        return 0
    _cpyviz_module, _cpyviz_args, _cpyviz_file, _cpyviz_prefix = _cpyviz_fields[1:5]
    _cpyviz_out = _cpyviz_os.open(_cpyviz_prefix + ".out", _cpyviz_os.O_WRONLY | _cpyviz_os.O_CREAT | _cpyviz_os.O_TRUNC, 0o644)
    _cpyviz_err = _cpyviz_os.open(_cpyviz_prefix + ".err", _cpyviz_os.O_WRONLY | _cpyviz_os.O_CREAT | _cpyviz_os.O_TRUNC, 0o644)
    _cpyviz_os.dup2(_cpyviz_out, 1)
    _cpyviz_os.dup2(_cpyviz_err, 2)
    _cpyviz_os.close(_cpyviz_out)
    _cpyviz_os.close(_cpyviz_err)
    # sys.stdout and sys.stderr now write to those files (the server left nothing buffered).
    _cpyviz_sys.argv = [_cpyviz_module, *_cpyviz_args.split(), _cpyviz_file]
    try:
        _cpyviz_runpy._run_module_as_main(_cpyviz_module)
        _cpyviz_code = 0
    except SystemExit as _cpyviz_e:
        _cpyviz_code = _cpyviz_e.code
        if _cpyviz_code is None:
            _cpyviz_code = 0
        elif not isinstance(_cpyviz_code, int):
            print(_cpyviz_code, file=_cpyviz_sys.stderr)
            _cpyviz_code = 1
    except BaseException:
        _cpyviz_sys.excepthook(*_cpyviz_sys.exc_info())
        _cpyviz_code = 1
    _cpyviz_sys.stdout.flush()
    _cpyviz_sys.stderr.flush()
    return _cpyviz_code


def _cpyviz_serve():
    while True:
        _cpyviz_line = _cpyviz_sys.stdin.readline()
        if not _cpyviz_line:
            return
        _cpyviz_fields = _cpyviz_line.rstrip("\n").split("\t")
        _cpyviz_pid = _cpyviz_os.fork()
        if _cpyviz_pid == 0:
            try:
                _cpyviz_code = _cpyviz_child(_cpyviz_fields)
            except BaseException:
                _cpyviz_code = 120
            _cpyviz_os._exit(_cpyviz_code & 0xFF)
        _, _cpyviz_status = _cpyviz_os.waitpid(_cpyviz_pid, 0)
        _cpyviz_sys.stdout.write("%d\n" % _cpyviz_os.waitstatus_to_exitcode(_cpyviz_status))
        _cpyviz_sys.stdout.flush()


_cpyviz_serve()
