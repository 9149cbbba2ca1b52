#!/usr/bin/env python3
"""Load drivers for 71-load.bats: many containers under a conmon-compatible
monitor, each created as podman does (caller.py), with a real runc.

usage: load.py short MONITOR ROOTFS WORKDIR COUNT JOBS
       load.py many  MONITOR ROOTFS WORKDIR COUNT LINES

short: COUNT short-lived containers, JOBS at a time, cycling through every
    exit code 0-255 and every signal that kills by default (those run
    without a pid namespace, so that the process is no namespace init and
    dies of `exec kill -N $$`). Each must leave its exit file with the code (128+N for
    a signal), its one log line, and no monitor.

many: COUNT containers at once (-i, --full-attach), each with an attach
    client connected before it starts. Each prints LINES numbered lines,
    then waits for stdin to close. Once every log holds its lines the
    monitors' fds and RSS are measured again (first measured once the
    client is connected, before start); then every client shuts down its
    write side and every container must exit 0 with its log and its attach
    stream byte for byte what it wrote (SHA-256 compared).

Prints one JSON summary on stdout; exit status 0 when every check held.
"""
import concurrent.futures
import hashlib
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

LIB = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, LIB)
import mkbundle  # noqa: E402

# Signals whose default action ends the process (term or core).
KILLING = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 24, 25, 26, 27, 29, 30, 31]
RUNC = shutil.which("runc") or "runc"


def wait_until(cond, timeout, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


class Container:
    def __init__(self, monitor, rootfs, work, cid, args, pid_ns=True, extra=()):
        self.monitor, self.cid, self.dir = monitor, cid, os.path.join(work, cid)
        self.runc_root = os.path.join(work, "runc")
        self.bundle = os.path.join(self.dir, "bundle")
        os.makedirs(self.bundle)
        os.makedirs(os.path.join(self.dir, "exits"))
        config = mkbundle.spec(rootfs, args, False, [], "/")
        if not pid_ns:
            ns = config["linux"]["namespaces"]
            config["linux"]["namespaces"] = [n for n in ns if n["type"] != "pid"]
            config["process"]["rlimits"].append({"type": "RLIMIT_CORE", "hard": 0, "soft": 0})
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(config, f)
        self.log = os.path.join(self.dir, "ctr.log")
        self.exit_file = os.path.join(self.dir, "exits", cid)
        self.extra = list(extra)
        self.mon_pid = None

    def argv(self):
        d = self.dir
        return [self.monitor, "--api-version", "1", "-c", self.cid, "-u", self.cid,
                "-r", RUNC,
                "-b", self.bundle, "-p", d + "/pidfile", "-P", d + "/monitor.pid",
                "--exit-dir", d + "/exits", "-l", "k8s-file:" + self.log,
                "--socket-dir-path", d + "/sock", "--runtime-arg", "--root=" + self.runc_root,
                ] + self.extra

    def create(self):
        p = subprocess.run([sys.executable, os.path.join(LIB, "caller.py"), "--timeout", "60",
                            "--wait-timeout", "60", "--"] + self.argv(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           cwd=self.dir)
        res = json.loads(p.stdout or b"null") or {}
        data = (res.get("sync") or {}).get("data")
        if p.returncode != 0 or not isinstance(data, int) or data <= 0:
            raise RuntimeError("%s: create failed: %s %s" % (self.cid, p.stdout[-300:],
                                                            p.stderr[-300:]))
        self.mon_pid = int(read(os.path.join(self.dir, "monitor.pid")))

    def runc(self, *args):
        subprocess.run([RUNC, "--root", self.runc_root] + list(args), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def exit_code(self, timeout):
        wait_until(lambda: read(self.exit_file), timeout)
        data = read(self.exit_file)
        return None if not data else int(data)

    def monitor_gone(self, timeout):
        def gone():
            try:
                exe = os.readlink("/proc/%d/exe" % self.mon_pid)
            except OSError:
                return True
            return not exe.startswith(os.path.realpath(self.monitor))
        return wait_until(gone, timeout)

    def records(self):
        """(stream, tag, content) of each k8s-file record."""
        out = []
        for rec in (read(self.log) or b"").split(b"\n")[:-1]:
            _, stream, tag, content = rec.split(b" ", 3)
            out.append((stream.decode(), tag.decode(), content))
        return out

    def stdout_bytes(self):
        return b"".join(c + (b"\n" if t == "F" else b"") for s, t, c in self.records()
                        if s == "stdout")


def proc_usage(pid):
    fds = len(os.listdir("/proc/%d/fd" % pid))
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return fds, rss


def short(monitor, rootfs, work, count, jobs):
    cases = [("exit", c) for c in range(256)] + [("signal", s) for s in KILLING]
    t0 = time.monotonic()

    def one(i):
        kind, n = cases[i % len(cases)]
        cid = "ls%04d%s" % (i, os.urandom(4).hex())
        if kind == "exit":
            args, want, pid_ns = ["sh", "-c", "echo case %d; exit %d" % (i, n)], n, True
        else:
            # exec: busybox sh itself ignores SIGQUIT; the kill applet does not.
            args, want, pid_ns = ["sh", "-c", "echo case %d; exec kill -%d $$" % (i, n)], \
                128 + n, False
        c = Container(monitor, rootfs, work, cid, args, pid_ns)
        try:
            c.create()
            c.runc("start", cid)
            code = c.exit_code(60)
            gone = c.monitor_gone(30)
            recs = c.records()
            c.runc("delete", "--force", cid)
        except Exception as e:  # reported, counted as a failure
            return {"i": i, "case": [kind, n], "error": str(e)}
        ok = code == want and gone and recs == [("stdout", "F", b"case %d" % i)]
        return None if ok else {"i": i, "case": [kind, n], "code": code, "want": want,
                                "monitor_gone": gone, "log": repr(recs)[:200]}

    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        results = list(ex.map(one, range(count)))
    failures = [r for r in results if r is not None]
    return {"containers": count, "distinct_cases": len(cases),
            "exit_codes": 256, "signals": KILLING, "failures": len(failures),
            "first_failures": failures[:5], "seconds": round(time.monotonic() - t0, 1)}


class Clients:
    """One SEQPACKET attach client per container, all served by one thread."""

    def __init__(self, containers):
        self.sel = selectors.DefaultSelector()
        self.got = {}
        self.eof = set()
        self.bad = 0
        self.socks = {}
        for c in containers:
            fd = os.open(os.path.join(c.bundle, "attach"), os.O_PATH)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect("/proc/self/fd/%d" % fd)
            os.close(fd)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, c.cid)
            self.got[c.cid] = bytearray()
            self.socks[c.cid] = s
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            for key, _ in self.sel.select(0.2):
                try:
                    pkt = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                if not pkt:
                    self.sel.unregister(key.fileobj)
                    self.eof.add(key.data)
                    continue
                if pkt[0] == 2:
                    self.got[key.data] += pkt[1:]
                elif pkt[0] != 3:
                    self.bad += 1

    def hang_up_all(self):
        for s in self.socks.values():
            s.shutdown(socket.SHUT_WR)


def many(monitor, rootfs, work, count, lines):
    t0 = time.monotonic()
    script = ('i=0; while [ $i -lt %d ]; do echo "$0 line $i"; i=$((i+1)); done; '
              'read x; echo "$0 bye"' % lines)
    cs = []
    for i in range(count):
        cid = "lm%03d%s" % (i, os.urandom(4).hex())
        cs.append(Container(monitor, rootfs, work, cid, ["sh", "-c", script, cid],
                            extra=["-i", "--full-attach"]))
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        list(ex.map(lambda c: c.create(), cs))
    t_created = time.monotonic()
    clients = Clients(cs)
    wait_until(lambda: all(proc_usage(c.mon_pid)[0] > 0 for c in cs), 10)
    before = {c.cid: proc_usage(c.mon_pid) for c in cs}
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        list(ex.map(lambda c: c.runc("start", c.cid), cs))
    t_started = time.monotonic()

    def logged(c):
        data = read(c.log) or b""
        return data.count(b" stdout F ") >= lines
    all_logged = wait_until(lambda: all(logged(c) for c in cs), 300, 0.2)
    # Let the relay go idle (every client has what the log has) first.
    wait_until(lambda: all(len(clients.got[c.cid]) >= len(c.stdout_bytes()) for c in cs), 60, 0.2)
    after = {c.cid: proc_usage(c.mon_pid) for c in cs}
    running = sum(1 for c in cs if not c.monitor_gone(0))
    clients.hang_up_all()
    codes = {c.cid: c.exit_code(120) for c in cs}
    all_eof = wait_until(lambda: len(clients.eof) == count, 60, 0.1)
    clients.stop = True
    gone = all(c.monitor_gone(30) for c in cs)

    bad = []
    for c in cs:
        want = b"".join(b"%s line %d\n" % (c.cid.encode(), k) for k in range(lines))
        want += b"%s bye\n" % c.cid.encode()
        log_ok = hashlib.sha256(c.stdout_bytes()).digest() == hashlib.sha256(want).digest()
        att_ok = hashlib.sha256(bytes(clients.got[c.cid])).digest() == \
            hashlib.sha256(want).digest()
        if not (log_ok and att_ok and codes[c.cid] == 0):
            bad.append({"cid": c.cid, "log_ok": log_ok, "attach_ok": att_ok,
                        "code": codes[c.cid]})
    for c in cs:
        subprocess.run([RUNC, "--root", c.runc_root, "delete", "--force", c.cid],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    fd_growth = [after[k][0] - before[k][0] for k in before]
    rss_growth = [after[k][1] - before[k][1] for k in before]
    return {
        "containers": count, "lines_each": lines + 1, "lines_checked": 2 * count * (lines + 1),
        "running_at_once": running, "all_logged": all_logged, "all_eof": all_eof,
        "monitors_gone": gone, "bad_packets": clients.bad, "failures": len(bad),
        "first_failures": bad[:5],
        "fds_before": [min(v[0] for v in before.values()), max(v[0] for v in before.values())],
        "fds_after": [min(v[0] for v in after.values()), max(v[0] for v in after.values())],
        "fd_growth_max": max(fd_growth),
        "rss_kb_before_avg": sum(v[1] for v in before.values()) // count,
        "rss_kb_after_avg": sum(v[1] for v in after.values()) // count,
        "rss_kb_growth_max": max(rss_growth),
        "seconds": {"create": round(t_created - t0, 1), "start": round(t_started - t_created, 1),
                    "total": round(time.monotonic() - t0, 1)},
    }


def main(argv):
    if len(argv) != 7 or argv[1] not in ("short", "many"):
        sys.exit(__doc__)
    mode, monitor, rootfs, work, count, n = argv[1], argv[2], argv[3], argv[4], int(argv[5]), \
        int(argv[6])
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    summary = (short if mode == "short" else many)(monitor, rootfs, work, count, n)
    json.dump(summary, sys.stdout)
    print()
    ok = summary["failures"] == 0
    if mode == "many":
        ok = ok and summary["all_logged"] and summary["all_eof"] and summary["monitors_gone"] \
            and summary["running_at_once"] == count and summary["bad_packets"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
