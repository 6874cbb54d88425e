# mechanize in-container helper. Run as: python3 -c <this file> ; stdin: one JSON request
# {"op": ..., ...}; stdout: one JSON reply {"ok": true, ...} or {"ok": false, "error": ...,
# "escape": bool}. Every path is resolved here, inside the container, where the agent's
# symlinks are; anything that resolves outside /workspace is refused.
# Only what every request needs is imported here (binascii, os, signal, stat and sys are built in;
# json is the one import that costs, about 10 ms): an operation imports the rest itself, so that a
# request that needs neither re, subprocess, tempfile nor difflib does not pay their 15-20 ms of CPU.
import binascii, json, os, signal, stat, sys

ROOT = "/workspace"
SKIP_DIRS = {".git", "__pycache__", ".pytest_cache"}


class OutOfTime(Exception):
    """A request past its time budget (not an OSError, unlike TimeoutError)."""


class Refused(Exception):
    def __init__(self, message, escape=False):
        super().__init__(message)
        self.escape = escape


def resolve(given, allow_root=False):
    if given is None or given == "":
        if allow_root:
            return ROOT
        raise Refused("path is empty")
    if "\0" in given:
        raise Refused("path contains a NUL byte")
    p = given if given.startswith("/") else os.path.join(ROOT, given)
    r = os.path.realpath(p)
    if r == ROOT:
        if allow_root:
            return r
        raise Refused("path '%s' is /workspace itself, not a file in it" % given, True)
    if not r.startswith(ROOT + "/"):
        raise Refused("path '%s' resolves to '%s', outside /workspace" % (given, r), True)
    return r


def rel(r):
    return r[len(ROOT) + 1:] if r.startswith(ROOT + "/") else ("." if r == ROOT else r)


def regular(r, given):
    if not os.path.lexists(r):
        raise Refused("file '%s' does not exist" % given)
    if not os.path.isfile(r):
        raise Refused("'%s' is not a regular file" % given)


def read_bytes(r, given):
    regular(r, given)
    with open(r, "rb") as f:
        return f.read()


def atomic_write(r, data):
    import tempfile
    existed = os.path.exists(r)
    if os.path.isdir(r):
        raise Refused("'%s' is a directory" % rel(r))
    mode = stat.S_IMODE(os.stat(r).st_mode) if existed else 0o644
    d = os.path.dirname(r)
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".mechanize-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, r)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return "modified" if existed else "created"


def text(data, given):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Refused("file '%s' is not valid UTF-8 (byte %d); use encoding base64" % (given, e.start))


def changed(state, r):
    return {"created": [rel(r)] if state == "created" else [], "modified": [rel(r)] if state == "modified" else []}


def op_read(q):
    r = resolve(q["path"])
    regular(r, q["path"])
    cap = q["cap"]
    with open(r, "rb") as f:
        if q.get("first"):
            first, last = q["first"], q["last"]
            out, n = [], 0
            for i, line in enumerate(f, 1):
                if i > last:
                    break
                if i >= first:
                    out.append(line)
                    n += len(line)
                    if n > cap:
                        break
            data = b"".join(out)
        else:
            data = f.read(cap + 1)
    truncated = len(data) > cap
    data = data[:cap]
    utf8 = True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        # a cut through a multi-byte character at the cap is not an encoding problem
        utf8 = truncated and e.start >= len(data) - 3
        if utf8:
            data = data[:e.start]
    return {"content": binascii.b2a_base64(data, newline=False).decode(), "truncated": truncated, "utf8": utf8}


def op_write(q):
    r = resolve(q["path"])
    return changed(atomic_write(r, binascii.a2b_base64(q["content"])), r)


def op_edit(q):
    r = resolve(q["path"])
    data = read_bytes(r, q["path"])
    lines = text(data, q["path"]).splitlines(keepends=True)
    first, last = q["first"], q["last"]
    if first > len(lines):
        raise Refused("line_range starts at line %d but '%s' has %d lines" % (first, q["path"], len(lines)))
    last = min(last, len(lines))
    new = q["content"]
    if new and not new.endswith("\n") and lines[last - 1].endswith("\n"):
        new += "\n"
    lines[first - 1:last] = [new]
    return changed(atomic_write(r, "".join(lines).encode("utf-8")), r)


def op_str_replace(q):
    r = resolve(q["path"])
    content = text(read_bytes(r, q["path"]), q["path"])
    old = q["old"]
    count = content.count(old)
    if count != 1:
        where = ""
        if count > 1:
            at, starts = 0, []
            while len(starts) < 10:
                at = content.find(old, at)
                if at < 0:
                    break
                starts.append(str(content.count("\n", 0, at) + 1))
                at += 1
            where = " (at lines %s)" % ", ".join(starts)
        raise Refused("old_str occurs %d times in '%s'%s; it must occur exactly once" % (count, q["path"], where))
    return changed(atomic_write(r, content.replace(old, q["new"], 1).encode("utf-8")), r)


def op_insert(q):
    r = resolve(q["path"])
    lines = text(read_bytes(r, q["path"]), q["path"]).splitlines(keepends=True)
    at = q["line"]
    if at > len(lines):
        raise Refused("insert_line %d is past the end of '%s' (%d lines)" % (at, q["path"], len(lines)))
    new = q["content"]
    if new and not new.endswith("\n"):
        new += "\n"
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    lines[at:at] = [new]
    return changed(atomic_write(r, "".join(lines).encode("utf-8")), r)


def op_delete(q):
    r = resolve(q["path"])
    if not os.path.lexists(r):
        raise Refused("file '%s' does not exist" % q["path"])
    if os.path.isdir(r):
        raise Refused("'%s' is a directory; delete removes files" % q["path"])
    os.unlink(r)
    return {"deleted": [rel(r)]}


def op_patch(q):
    import subprocess
    resolved = [resolve(p) for p in q["paths"]]
    before = {r: os.path.exists(r) for r in resolved}
    argv = ["patch", "-p%d" % q["strip"], "--batch", "--forward", "--no-backup-if-mismatch", "-r", "-", "-d", ROOT]
    dry = subprocess.run(argv + ["--dry-run"], input=q["patch"].encode(), capture_output=True)
    if dry.returncode != 0:
        return {"ok": False, "error": "patch does not apply", "patch_output": (dry.stdout + dry.stderr).decode("utf-8", "replace")}
    done = subprocess.run(argv, input=q["patch"].encode(), capture_output=True)
    out = (done.stdout + done.stderr).decode("utf-8", "replace")
    if done.returncode != 0:
        return {"ok": False, "error": "patch failed after its dry run", "patch_output": out}
    reply = {"created": [], "modified": [], "deleted": [], "output": out}
    for r in resolved:
        now = os.path.exists(r)
        key = "modified" if before[r] and now else "created" if now else "deleted" if before[r] else None
        if key and rel(r) not in reply[key]:
            reply[key].append(rel(r))
    return reply


def walk(top, dirs_too=False):
    """Yields resolved paths under top, never following symlinked directories."""
    for d, dirs, files in os.walk(top):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS)
        if dirs_too:
            for x in dirs:
                yield os.path.join(d, x) + "/"
        for x in sorted(files):
            yield os.path.join(d, x)


def glob_regex(glob):
    import re
    out, i = "", 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
            continue
        if glob.startswith("**", i):
            out, i = out + ".*", i + 2
            continue
        out += "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c)
        i += 1
    return re.compile(out + r"\Z")


def matches(path, glob, rx):
    if glob is None:
        return True
    return bool(rx.match(path if "/" in glob else os.path.basename(path)))


def fingerprint():
    seen = {}
    for p in walk(ROOT):
        try:
            s = os.lstat(p)
            seen[rel(p)] = (s.st_mtime_ns, s.st_size, s.st_mode)
        except OSError:
            pass
    return seen


def op_run(q):
    import subprocess
    for p in q.get("paths", []):  # the paths the command names: refused when outside /workspace
        resolve(p, allow_root=True)
    before = fingerprint()
    env = dict(os.environ, **q["env"]) if q.get("env") else None
    done = subprocess.run(q["argv"], cwd=ROOT, env=env, capture_output=True)
    after = fingerprint()
    cap = q["cap"]
    return {"exit": done.returncode, "stdout": done.stdout[:cap].decode("utf-8", "replace"),
            "stdout_bytes": len(done.stdout), "stderr": done.stderr[:cap].decode("utf-8", "replace"),
            "created": sorted(set(after) - set(before)), "deleted": sorted(set(before) - set(after)),
            "modified": sorted(p for p in after if p in before and after[p] != before[p])}


def capped(lines, cap_lines, cap_bytes):
    out, n, truncated = [], 0, False
    for line in lines:
        if len(out) >= cap_lines or n + len(line) + 1 > cap_bytes:
            truncated = True
            break
        out.append(line)
        n += len(line) + 1
    return {"output": "".join(x + "\n" for x in out), "truncated": truncated, "count": len(out)}


def op_search(q):
    import re
    top = resolve(q.get("path"), allow_root=True)
    try:
        rx = re.compile(q["pattern"])
    except re.error as e:
        raise Refused("pattern is not a valid regular expression: %s" % e)
    g = q.get("glob")
    grx = glob_regex(g) if g else None

    def hits():
        for p in ([top] if os.path.isfile(top) else walk(top)):
            if not matches(rel(p), g, grx) or not os.path.realpath(p).startswith(ROOT + "/") or not os.path.isfile(p):
                continue
            try:
                with open(p, "rb") as f:
                    data = f.read(q["file_cap"])
            except OSError:
                continue
            if b"\0" in data[:8192]:
                continue
            for i, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
                if rx.search(line):
                    yield "%s:%d:%s" % (rel(p), i, line[:500])

    return capped(hits(), q["max_lines"], q["cap"])


def op_find_files(q):
    top = resolve(q.get("path"), allow_root=True)
    g = q.get("glob") or "*"
    grx = glob_regex(g)
    return capped((rel(p) for p in walk(top) if matches(os.path.relpath(p, top), g, grx)), q["max_lines"], q["cap"])


def op_list_dir(q):
    top = resolve(q.get("path"), allow_root=True)
    if not os.path.isdir(top):
        raise Refused("'%s' is not a directory" % q.get("path"))
    depth = q["depth"]

    def entries():
        for d, dirs, files in os.walk(top):
            level = 0 if d == top else os.path.relpath(d, top).count("/") + 1
            shown = sorted(dirs)
            dirs[:] = [x for x in shown if x not in SKIP_DIRS] if level + 1 < depth else []
            for x in sorted(shown + files):
                p = os.path.join(d, x)
                yield "%s%s%s" % ("  " * level, x, "/" if x in shown else "@" if os.path.islink(p) else "")
    return capped(entries(), q["max_lines"], q["cap"])


def op_diagnostics(q):
    top = resolve(q.get("path"), allow_root=True)
    files = [top] if os.path.isfile(top) else [p for p in walk(top) if p.endswith(".py")]
    problems = []
    for p in files:
        try:
            with open(p, "rb") as f:
                compile(f.read(), rel(p), "exec", dont_inherit=True)
        except SyntaxError as e:
            problems.append("%s:%s: %s: %s" % (rel(p), e.lineno, type(e).__name__, e.msg))
        except (ValueError, OSError) as e:
            problems.append("%s:0: %s" % (rel(p), e))
    reply = capped(problems, q["max_lines"], q["cap"])
    reply["files"] = len(files)
    reply["problems"] = len(problems)
    return reply


def op_exists(q):
    r = resolve(q["path"], allow_root=True)
    return {"exists": os.path.exists(r), "kind": "dir" if os.path.isdir(r) else "file" if os.path.isfile(r) else "other"}


def op_diff(q):
    base, cap = q["base"], q["cap"]
    if not os.path.isdir(base):
        return {"ok": False, "error": "no pristine copy of the snapshot at " + base}
    def tree(top):
        return {os.path.relpath(p, top): p for p in walk(top)}
    old, new = tree(base), tree(ROOT)
    out, size, truncated = [], 0, False
    for name in sorted(set(old) | set(new)):
        a = read_or_none(old.get(name))
        b = read_or_none(new.get(name))
        if a == b:
            continue
        if (a is not None and b"\0" in a) or (b is not None and b"\0" in b):
            chunk = "Binary files a/%s and b/%s differ\n" % (name, name)
        else:
            import difflib
            la = a.decode("utf-8", "replace").splitlines(keepends=True) if a is not None else []
            lb = b.decode("utf-8", "replace").splitlines(keepends=True) if b is not None else []
            chunk = "diff -u a/%s b/%s\n" % (name, name) + "".join(
                x if x.endswith("\n") else x + "\n\\ No newline at end of file\n"
                for x in difflib.unified_diff(la, lb, "a/" + name if a is not None else "/dev/null",
                                              "b/" + name if b is not None else "/dev/null"))
        if size + len(chunk) > cap:
            truncated = True
            break
        out.append(chunk)
        size += len(chunk)
    return {"output": "".join(out), "truncated": truncated}


def read_or_none(p):
    if p is None:
        return None
    if os.path.islink(p):
        return ("symlink -> " + os.readlink(p) + "\n").encode()
    with open(p, "rb") as f:
        return f.read()


def op_read_report(q):
    r = q["path"] if q.get("internal") else resolve(q["path"])
    paths = [r] if os.path.isfile(r) else sorted(p for p in walk(r) if p.endswith(".xml")) if os.path.isdir(r) else []
    if not paths:
        raise Refused("report '%s' does not exist" % q["path"])
    reports = []
    for p in paths[:200]:
        with open(p, "rb") as f:
            reports.append(binascii.b2a_base64(f.read(q["cap"]), newline=False).decode())
    if q.get("remove"):
        os.unlink(r)
    return {"reports": reports}


OPS = {n[3:]: f for n, f in list(globals().items()) if n.startswith("op_")}


def handle(q):
    """The reply to one request that is not chained to a command."""
    try:
        reply = OPS[q["op"]](q)
        reply.setdefault("ok", True)
    except Refused as e:
        reply = {"ok": False, "error": str(e), "escape": e.escape}
    except OSError as e:
        reply = {"ok": False, "error": "%s: %s" % (e.strerror, rel(e.filename) if e.filename else ""),
                 "no_space": e.errno == 28}
    return reply


IDLE_EXIT = 75  # EX_TEMPFAIL: no request came for idle_exit_s, and none was read and left unanswered


def serve(requests, wakeups, status, idle_exit_s=0.0):
    """The resident helper of a shell session (shell-driver.sh): one "INPUT SKIP SEQ" line per
    request; the request is INPUT's bytes after the first SKIP (this source). The reply goes to
    stdout, then "SEQ CODE" to the status file, which is closed before a newline goes to `wakeups`:
    the driver reads the code from the file, never from the fifo, because bash can lose a byte of
    a fifo read that times out. A request that fails unexpectedly leaves its traceback on stderr
    and exit code 1, and the helper goes on. With idle_exit_s > 0 the helper exits with IDLE_EXIT
    once no request has come for that long, so that an idle workspace does not keep an
    interpreter's memory: it exits only with no byte read and unanswered, and the driver starts a
    new helper for the next request (and sends it that request again when it came while this one
    was exiting)."""
    import traceback
    import fcntl
    import select
    try:
        # the driver's end of `wakeups` (its fd 8, inherited): non-blocking, so that a wake-up
        # another reader took cannot leave the driver's read -t blocked (see observe.sh's lister)
        fcntl.fcntl(8, fcntl.F_SETFL, fcntl.fcntl(8, fcntl.F_GETFL) | os.O_NONBLOCK)
        os.close(8)
    except OSError:
        pass
    # unbuffered: a line is taken from the fifo only when it is handled, so that an idle exit
    # never leaves a request read and unanswered in a buffer
    fd = os.open(requests, os.O_RDONLY)
    pending = b""
    with open(wakeups, "w") as wake:
        while True:
            while b"\n" not in pending:
                if not pending and idle_exit_s > 0 and not select.select([fd], [], [], idle_exit_s)[0]:
                    sys.stdout.flush()
                    os._exit(IDLE_EXIT)
                chunk = os.read(fd, 4096)
                if not chunk:
                    return  # the driver closed its end
                pending += chunk
            raw, pending = pending.split(b"\n", 1)
            line = raw.decode("utf-8", "replace")
            code, seq = 0, "0"
            try:
                path, skip, seq = line.split()
                with open(path, "rb") as f:
                    f.seek(int(skip))
                    q = json.loads(f.read().decode("utf-8"))
                sys.stdout.write(json.dumps(handle(q)))
            except Exception:
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            with open(status, "w") as f:
                f.write("%s %d\n" % (seq, code))
            wake.write("\n")
            wake.flush()


def main():
    if len(sys.argv) in (6, 7):  # started by shell-driver.sh: -c, its input, this source's length, fifos,
        # status, and how long it may be idle
        serve(sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]) if len(sys.argv) == 7 else 0.0)
        return
    cwd = os.getcwd()
    q = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    then = q.get("then_exec")
    if then and q.get("then_budget_s"):
        # the request has its own time budget: past it, the reply is an error and the command
        # still runs with the whole of its own timeout (the exec's timeout covers both)
        def out_of_time(signum, frame):
            raise OutOfTime("the operation took longer than %ss and was stopped" % q["then_budget_s"])
        signal.signal(signal.SIGALRM, out_of_time)
        signal.alarm(int(q["then_budget_s"]))
    try:
        reply = handle(q)
    except Exception as e:
        if not then:
            raise
        reply = {"ok": False, "error": str(e) if isinstance(e, OutOfTime) else "%s: %s" % (type(e).__name__, e)}
    if then:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    if not then:
        sys.stdout.write(json.dumps(reply))
        return
    # the reply framed by its length, then this process becomes the given command (an evaluation
    # criterion), whose exit code the engine reports as the exec's: no second exec for it
    data = json.dumps(reply)
    sys.stdout.write("\x1emz-reply %d\x1e" % len(data) + data)
    sys.stdout.flush()
    os.chdir(cwd)
    for name in ("SIGPIPE", "SIGXFSZ"):  # python ignores these; an ignored signal stays ignored across exec
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    os.execvp(then[0], then)


main()
