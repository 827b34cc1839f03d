"""The real-code sweep: cpyviz's built-in engine against the reference CPythons, file by file.

Run through `scripts/sweep` (which builds cpyviz and picks the interpreter). For each version and
each mode it compares `cpyviz dump STAGE FILE --python-version V FLAGS` with what the reference
CPython's own tool prints for the same file (`python -m tokenize -e`, `-m ast [-a]`,
`-m dis [-C -O -P]`), byte for byte after masking code-object addresses, and prints exact/total
per version and mode plus the first differing line of every failing file.

Reference outputs are cached under the cache folder, keyed by the interpreter's exact version and
the SHA-256 of each file's path and bytes, so a second sweep only runs cpyviz.
"""
import argparse
import concurrent.futures
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# mode -> (cpyviz dump stage, extra flags) ; the reference side is in reference.py.
MODES = {
    "tokens": ("tokens", []),
    "ast": ("ast", []),
    "ast-a": ("ast", ["-a"]),
    "bytecode": ("bytecode", []),
    "bytecode-COP": ("bytecode", ["-C", "-O", "-P"]),
}
ADDRESS = re.compile(rb" at 0x[0-9a-fA-F]+")


def mask(text):
    return ADDRESS.sub(b" at 0xADDR", text)


def read_expected_versions():
    versions = {}
    with open(os.path.join(HERE, "reference-versions.txt")) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                short, full = line.split()
                versions[short] = full
    return versions


def interpreter_version(refpy, short):
    try:
        out = subprocess.run(
            [refpy, short, "-c", "import sys; print(sys.version.split()[0])"],
            capture_output=True,
            timeout=60,
        )
    except OSError:
        return None
    return out.stdout.decode().strip() if out.returncode == 0 else None


def stdlib_files(refpy, short):
    out = subprocess.run(
        [refpy, short, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
        capture_output=True,
        check=True,
    )
    return python_files(out.stdout.decode().strip())


def python_files(folder):
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", "site-packages", "dist-packages"))
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            # (Debian's stdlib has dangling links, e.g. sitecustomize.py → /etc/…)
            if name.endswith(".py") and os.path.isfile(path):
                found.append(path)
    return found


def read_packages():
    pins = []
    with open(os.path.join(HERE, "packages.txt")) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                name_version, url, sha = line.split()
                pins.append((name_version, url, sha))
    return pins


def fetch_packages(cache):
    """Downloads the pinned wheels (checked against their SHA-256) and unpacks each once."""
    import urllib.request

    folders = []
    for name_version, url, sha in read_packages():
        dest = os.path.join(cache, "packages", name_version)
        if not os.path.isdir(dest):
            wheel = os.path.join(cache, "packages", os.path.basename(url))
            os.makedirs(os.path.dirname(wheel), exist_ok=True)
            if not os.path.exists(wheel):
                print(f"sweep: downloading {name_version}", file=sys.stderr)
                with urllib.request.urlopen(url, timeout=120) as r, open(wheel + ".part", "wb") as f:
                    shutil.copyfileobj(r, f)
                os.replace(wheel + ".part", wheel)
            with open(wheel, "rb") as f:
                got = hashlib.sha256(f.read()).hexdigest()
            if got != sha:
                os.remove(wheel)
                sys.exit(f"sweep: {name_version}: SHA-256 {got} is not the pinned {sha}")
            with zipfile.ZipFile(wheel) as z:
                z.extractall(dest + ".part")
            os.replace(dest + ".part", dest)
        folders.append((name_version, dest))
    return folders


# mode -> (module, flags) of `python -m MODULE FLAGS FILE`
REFERENCE = {
    "tokens": ("tokenize", "-e"),
    "ast": ("ast", ""),
    "ast-a": ("ast", "-a"),
    "bytecode": ("dis", ""),
    "bytecode-COP": ("dis", "-C -O -P"),
}


def cache_key(path, data):
    return hashlib.sha256(os.fsencode(path) + b"\0" + data).hexdigest()


def run_reference(refpy, short, full, files, cache, modes, jobs):
    """Fills the reference cache for `files`; returns the set of files the interpreter compiles."""
    folder = os.path.join(cache, "reference", full)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(HERE, "reference.py")) as f:
        server_code = f.read()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHON_JIT", "PYTHONSTARTUP", "PYTHONPATH", "PYTHONWARNINGS")}
    env.update(PYTHON_COLORS="0", NO_COLOR="1", TERM="dumb", PYTHONDONTWRITEBYTECODE="1",
               PYTHONIOENCODING="utf-8")
    accepted, skipped = set(), []
    lock = __import__("threading").Lock()

    def drive(chunk, worker):
        server = subprocess.Popen([refpy, short, "-c", server_code], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, env=env, text=True)
        scratch = tempfile.mkdtemp(prefix="sweep-ref-")

        def ask(*fields):
            server.stdin.write("\t".join(fields) + "\n")
            server.stdin.flush()
            answer = server.stdout.readline()
            if not answer:
                sys.exit(f"sweep: the reference CPython {full} server died")
            return int(answer)

        try:
            for path in chunk:
                with open(path, "rb") as f:
                    data = f.read()
                key = os.path.join(folder, cache_key(path, data))
                verdict = os.path.join(key, "compiles")
                if not os.path.exists(verdict):
                    os.makedirs(key, exist_ok=True)
                    with open(verdict + ".tmp", "w") as f:
                        f.write("yes\n" if ask("check", path, "-") == 0 else "no\n")
                    os.replace(verdict + ".tmp", verdict)
                with open(verdict) as f:
                    compiles = f.read().strip() == "yes"
                if not compiles:
                    with lock:
                        skipped.append(path)
                    continue
                for m in modes:
                    target = os.path.join(key, m + ".txt.gz")
                    if os.path.exists(target):
                        continue
                    module, flags = REFERENCE[m]
                    prefix = os.path.join(scratch, "o")
                    code = ask("run", module, flags, path, prefix)
                    with open(prefix + ".out", "rb") as f:
                        out = f.read()
                    with open(prefix + ".err", "rb") as f:
                        err = f.read()
                    text = b"# exit %d\n" % code + out
                    if code != 0 or err:
                        if out and not out.endswith(b"\n"):
                            text += b"\n"
                        text += b"# stderr\n" + err
                    with gzip.open(target + ".tmp", "wb", compresslevel=1) as f:
                        f.write(text)
                    os.replace(target + ".tmp", target)
                with lock:
                    accepted.add(path)
        finally:
            server.stdin.close()
            server.wait()
            shutil.rmtree(scratch, ignore_errors=True)

    chunks = [files[i::jobs] for i in range(jobs)]
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for fut in [pool.submit(drive, c, i) for i, c in enumerate(chunks) if c]:
            fut.result()
    return folder, accepted, skipped


def reference_output(folder, path, mode):
    with open(path, "rb") as f:
        key = cache_key(path, f.read())
    with gzip.open(os.path.join(folder, key, mode + ".txt.gz")) as f:
        return mask(f.read())


def cpyviz_output(binary, short, path, mode, timeout):
    stage, flags = MODES[mode]
    try:
        p = subprocess.run(
            [binary, "dump", stage, path, "--python-version", short, *flags],
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return b"# cpyviz timed out after %d s\n" % timeout
    text = b"# exit %d\n" % p.returncode + p.stdout
    if p.returncode != 0 or p.stderr:
        if p.stdout and not p.stdout.endswith(b"\n"):
            text += b"\n"
        text += b"# stderr\n" + p.stderr
    return mask(text)


def first_difference(expected, actual):
    e_lines, a_lines = expected.split(b"\n"), actual.split(b"\n")
    for i, (e, a) in enumerate(zip(e_lines, a_lines)):
        if e != a:
            return i, e, a
    i = min(len(e_lines), len(a_lines))
    return i, (e_lines[i] if i < len(e_lines) else b"<end>"), (a_lines[i] if i < len(a_lines) else b"<end>")


def show(b, limit=160):
    s = b.decode("utf-8", "backslashreplace")
    return s if len(s) <= limit else s[:limit] + "…"


def main():
    ap = argparse.ArgumentParser(prog="scripts/sweep", description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="*", help="extra folders (or .py files) to sweep")
    ap.add_argument("--stdlib", action="store_true", help="each version's own standard library")
    ap.add_argument("--packages", action="store_true", help="the pinned packages of packages.txt")
    ap.add_argument("--versions", default="3.14,3.15")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--refpy", required=True, help="the reference-python wrapper")
    ap.add_argument("--cpyviz", required=True, help="the cpyviz binary")
    ap.add_argument("--cache", required=True)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=int, default=120, help="seconds per cpyviz dump")
    ap.add_argument("--max-shown", type=int, default=20, help="failing files listed per mode")
    args = ap.parse_args()
    if not (args.stdlib or args.packages or args.folders):
        args.stdlib = args.packages = True
    modes = args.modes.split(",")
    for m in modes:
        if m not in MODES:
            sys.exit(f"sweep: unknown mode {m!r} (modes: {', '.join(MODES)})")

    expected = read_expected_versions()
    problems = []
    ran = {}
    for short in args.versions.split(","):
        full = interpreter_version(args.refpy, short)
        want = expected.get(short)
        if full is None:
            problems.append(f"the reference CPython {short} is MISSING (run ../shared/refpy/install)")
        elif want != full:
            problems.append(
                f"the reference CPython {short} is {full}, but the sweep's figures are for {want}: "
                f"update scripts/sweep/reference-versions.txt once the sweep is green on {full}"
            )
            ran[short] = full
        else:
            ran[short] = full
    print("sweep: reference CPythons: " + (", ".join(f"{s} = {f}" for s, f in ran.items()) or "none"))
    if problems:
        for p in problems:
            print(f"sweep: ERROR: {p}", file=sys.stderr)
        print("sweep: ERROR: the reference versions are not the expected ones: NOT PASSING", file=sys.stderr)
        sys.exit(2)

    sets = []
    if args.stdlib:
        sets.append(("stdlib", None))
    if args.packages:
        for name, folder in fetch_packages(args.cache):
            sets.append((name, python_files(folder)))
    for folder in args.folders:
        sets.append((folder, python_files(folder) if os.path.isdir(folder) else [folder]))

    failed = False
    for short, full in ran.items():
        for set_name, files in sets:
            if files is None:
                files = stdlib_files(args.refpy, short)
            folder, accepted, skipped = run_reference(
                args.refpy, short, full, files, args.cache, modes, args.jobs
            )
            todo = [f for f in files if f in accepted]
            jobs = [(f, m) for f in todo for m in modes]

            def one(job):
                f, m = job
                exp = reference_output(folder, f, m)
                act = cpyviz_output(args.cpyviz, short, f, m, args.timeout)
                return job, exp == act, (None if exp == act else first_difference(exp, act))

            results = {m: [0, []] for m in modes}
            with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
                for (f, m), same, diff in pool.map(one, jobs):
                    if same:
                        results[m][0] += 1
                    else:
                        results[m][1].append((f, diff))
            skip_note = (
                f", {len(skipped)} file{'s' * (len(skipped) != 1)} CPython does not compile left out"
                if skipped
                else ""
            )
            print(f"\n== CPython {full} · {set_name}: {len(todo)} files{skip_note}")
            for m in modes:
                ok, bad = results[m]
                total = ok + len(bad)
                pct = 100.0 * ok / total if total else 100.0
                print(f"   {m:<13} {ok:5d}/{total:<5d} exact ({pct:.2f} %)")
                for f, (line, e, a) in sorted(bad)[: args.max_shown]:
                    print(f"      {f}: line {line + 1}")
                    print(f"         expected: {show(e)}")
                    print(f"         cpyviz:   {show(a)}")
                if len(bad) > args.max_shown:
                    print(f"      … and {len(bad) - args.max_shown} more")
                failed |= bool(bad)
    print("\nsweep: " + ("FAILED: some files differ" if failed else "every file exact"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
