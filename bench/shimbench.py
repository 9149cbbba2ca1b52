#!/usr/bin/env python3
"""shimbench: tether and conmon side by side, in one run.

usage: shimbench.py [--quick] [options]   (normally through bench/run.sh)

Both monitors are driven identically, the way podman 4 drives conmon:

  MONITOR --api-version 1 -c ID -u ID -r RUNC -b BUNDLE -p PIDFILE
          -P MONPIDFILE --exit-dir DIR -l k8s-file:LOG --full-attach
          --socket-dir-path DIR --runtime-arg --root=RUNCROOT

with a SEQPACKET sync and start socketpair (_OCI_SYNCPIPE/_OCI_STARTPIPE,
as tests/lib/caller.py does), one start byte, the first process reaped, the
sync message {"data": PID} read, then `runc start`, then the exit file.
(--socket-dir-path only keeps conmon's default /var/run/crio out of it.)
The variants of each figure alternate within every repetition (the order
rotates from one repetition to the next) and medians are reported.

Figures:

1. Log throughput. The container is busybox `cat /b/p /b/p ...`, where /b/p
   is a bind-mounted ~1 MiB file of 100-byte lines (or of 64 KiB lines):
   busybox cat sendfile()s it into the stdout pipe, so the producer costs
   almost nothing. MiB/s = bytes logged / wall time from spawning
   `runc start` to the exit file appearing (inotify on the exit dir).
   The producer's ceiling ("no monitor") is the same container created by
   `runc create` with its stdout a pipe into `wc -c`, timed from
   `runc start` to wc's EOF. The copy floor is the same with `dd bs=256K`
   writing what it reads into a file beside the logs: the least kernel work
   (pipe read, page-cache write) and so the least CPU per MiB any monitor
   logging to a file needs. Every monitor run's k8s-file log is parsed and
   must rebuild exactly the bytes and lines the producer wrote (F and P
   records, content checked); the ceiling's and the floor's byte counts must
   match too.

   Monitor CPU: this process is a child subreaper (PR_SET_CHILD_SUBREAPER),
   so the daemonized monitor (the first process forks and exits) is
   re-parented to us. We wait for it with a pidfd and
   waitid(WEXITED|WNOWAIT), which leaves it a zombie: its /proc/PID/stat
   still holds its final utime+stime (whole thread group, its reaped
   children - runc, the container - excluded), then we reap it. stat is in
   clock ticks (10 ms); /proc/PID/schedstat gives the leader's exact run
   time in ns, used when it agrees with stat (i.e. the monitor was
   single-threaded: stat <= schedstat < stat + 2 ticks), else stat.

2. Attach throughput. The same producer and the same monitor command line
   (so the k8s-file log is written too, by both), plus ONE attach client,
   connected as podman connects before it starts the container: after the
   sync message, open BUNDLE/attach O_PATH, connect a SOCK_SEQPACKET socket
   to /proc/self/fd/N; then `runc start`. The client is bench/attach_client.c
   (built into the temp dir with cc): a blocking recv loop in C (SO_RCVTIMEO
   as the hang guard) with an 8193-byte buffer like podman's
   (--attach-bufsize), until EOF; it reports what it got and the
   CLOCK_MONOTONIC time of the EOF. MiB/s = data bytes
   received / wall time from spawning `runc start` to the EOF; then the exit
   file, and the monitor's CPU as in 1. Each packet must be stream byte 2 +
   at most 8192 bytes (recv with MSG_TRUNC shows an oversized one), and the
   bytes and newlines received must equal what the producer wrote, else the
   run lost output.

3. Lifecycle of a `true` container: wall time from spawning the monitor to
   the exit file (create, sync message, runc start, exit). Floors: `runc run
   --keep` of the same bundle, stdio /dev/null (the delete comes after, as
   for the monitors), and `runc create` + `runc start` + the container's
   exit with no monitor: the runtime calls a conmon-style monitor's caller
   must make. Both floors run the runtime in a new session, as the monitors
   (setsid) do. Overhead = median(monitor) - median(floor).

3b. Exec latency: an exec of `true` into a running container, as CRI-O's
   ExecSync drives the monitor.

4. Idle memory: K (100) `sleep` containers per monitor (one monitor's set
   at a time, so Pss splits shared pages among K copies of the same
   binary), /proc/PID/smaps_rollup of each monitor once all K run: Rss,
   Pss, Private_Dirty (kB), medians over all monitors.

5. Many idle containers: --scale (1000) per monitor at once, created and
   removed --workers at a time; the sums of Pss, Private_Dirty and Rss over
   all of one monitor's processes. If the machine cannot hold them all, the
   report says how many ran and why the next one failed.

The report starts with a table of the issues' targets (each a ratio
tether/conmon, met or not) and writes a plot of them beside the markdown
(docs/benchmarks.svg, plain SVG written here).

No timing is asserted. Exit status 1 if a run lost or corrupted output, a
container did not run or exit as expected, or a monitor failed.
Everything lives in one temp dir (tmpfs /dev/shm by default, so that log
writes and the exit fsync measure the monitor, not the disk), removed on
exit; on Ctrl-C or SIGTERM the containers and monitors started are killed.
"""
import argparse
import ctypes
import datetime
import fcntl
import json
import os
import platform
import select
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
import mkbundle  # noqa: E402  (tests/lib: the bundle the tests use)

MiB = 1 << 20
F_SETPIPE_SZ = 1031  # fcntl.h; Python 3.10+ has fcntl.F_SETPIPE_SZ
CLK_TCK = os.sysconf("SC_CLK_TCK")
PR_SET_CHILD_SUBREAPER = 36
IN_CREATE, IN_CLOSE_WRITE, IN_MOVED_TO = 0x100, 0x8, 0x80
IN_CLOEXEC, IN_NONBLOCK = 0o2000000, 0o4000

libc = ctypes.CDLL(None, use_errno=True)


class BenchError(Exception):
    """A container or monitor did not do what it must: abort the bench."""


class Interrupted(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# --- small OS helpers ---------------------------------------------------------

class ExitDirWatch:
    """inotify on an exit dir: returns the moment <dir>/<cid> is non-empty,
    whether the monitor writes it in place or renames a temp file in."""

    def __init__(self, directory):
        self.dir = directory
        self.fd = libc.inotify_init1(IN_CLOEXEC | IN_NONBLOCK)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if libc.inotify_add_watch(self.fd, directory.encode(),
                                  IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO) < 0:
            err = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(err, "inotify_add_watch " + directory)

    def wait(self, cid, timeout):
        """Monotonic time at which the exit file was seen, or None."""
        path = os.path.join(self.dir, cid)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if os.stat(path).st_size > 0:
                    return time.monotonic()
            except FileNotFoundError:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    os.read(self.fd, 65536)
                except BlockingIOError:
                    pass

    def close(self):
        os.close(self.fd)


def proc_stat(pid):
    """(state, ppid, utime+stime seconds, threads) from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return rest[0], int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK_TCK, int(rest[17])


def user_cpu(pid):
    """utime seconds (clock ticks) from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[11]) / CLK_TCK


def final_cpu(pid):
    """CPU seconds of a zombie (exited, not yet reaped) child. See the module
    docstring: stat's whole-group ticks, refined by schedstat's ns when the
    two agree."""
    _, _, stat_s, _ = proc_stat(pid)
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            sched_s = int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return stat_s
    if stat_s - 1e-6 <= sched_s < stat_s + 2.0 / CLK_TCK + 1e-3:
        return sched_s
    return stat_s


def smaps_rollup(pid):
    out = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1])
    return out


def wait_exit(proc, timeout, usage=False):
    """Block until proc exits (a pidfd, no polling), at most timeout s; its
    exit code, or (code, its rusage) if usage. Popen.wait(timeout=...) polls
    with sleeps that double up to 50 ms: a 40 ms runc call would be seen
    ending up to 20 ms late."""
    pidfd = os.pidfd_open(proc.pid)
    try:
        r, _, _ = select.select([pidfd], [], [], timeout)
    finally:
        os.close(pidfd)
    if not r:
        proc.kill()
        proc.wait()
        raise subprocess.TimeoutExpired(proc.args, timeout)
    if not usage:
        return proc.wait()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, ru


def run_cmd(argv, timeout, capture=False, **kw):
    """subprocess.run without its polling wait: the exit is waited for on a
    pidfd, then the (small) output read. Returns a CompletedProcess."""
    if capture:
        kw["stdout"] = kw["stderr"] = subprocess.PIPE
    with subprocess.Popen(argv, **kw) as proc:
        wait_exit(proc, timeout)
        out, err = proc.communicate() if capture else (None, None)
        if not capture and proc.stderr is not None:
            err = proc.stderr.read()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def first_line(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


# --- the bench ---------------------------------------------------------------

class Bench:
    def __init__(self, opts):
        self.o = opts
        self.runc = opts.runc
        self.monitors = [("tether", opts.tether), ("conmon", opts.conmon)]
        self.seq = 0
        self.lock = threading.Lock()  # new_run's counter: scale runs create in parallel
        self.live = {}      # cid -> {"root": runc root, "monpid": pid or None}
        self.children = []  # Popen objects to kill on abort (readers, runc create)
        self.failures = []  # runs that lost output: reported, exit status 1
        self.failed = set()  # the figures those runs belong to
        self.results = {}
        self.work = tempfile.mkdtemp(prefix="shimbench.", dir=opts.tmpdir)
        self.runc_root = os.path.join(self.work, "runc")
        os.makedirs(self.runc_root)
        self.patterns = {}

    # -- bundles and payloads --

    def pattern(self, kind):
        """A ~1 MiB file of whole lines; returns (path, bytes, lines)."""
        if kind not in self.patterns:
            if kind == "100B":
                line = b"x" * 99 + b"\n"
                count = -(-MiB // len(line))  # 10486 lines: 1 048 600 bytes
            else:  # "64KiB"
                line = b"x" * (65536 - 1) + b"\n"
                count = MiB // len(line)       # 16 lines: exactly 1 MiB
            path = os.path.join(self.work, "pattern-" + kind)
            with open(path, "wb") as f:
                f.write(line * count)
            self.patterns[kind] = (path, len(line) * count, count)
        return self.patterns[kind]

    def new_run(self, tag, args, mount=None):
        """A fresh run dir with its bundle; returns a dict of paths."""
        with self.lock:
            self.seq += 1
            seq = self.seq
        cid = "sb%04d%s%s" % (seq, tag, os.urandom(4).hex())
        d = os.path.join(self.work, "r%04d" % seq)
        run = {"cid": cid, "dir": d, "bundle": os.path.join(d, "bundle"),
               "pidfile": os.path.join(d, "pidfile"), "monpid": os.path.join(d, "monitor.pid"),
               "exits": os.path.join(d, "exits"), "sock": os.path.join(d, "sock"),
               "log": os.path.join(d, "ctr.log"), "err": os.path.join(d, "monitor.err")}
        for k in ("bundle", "exits", "sock"):
            os.makedirs(run[k])
        spec = mkbundle.spec(self.o.rootfs, args, False, [], "/")
        if mount:
            spec["mounts"].append({"destination": "/b/p", "type": "bind", "source": mount,
                                   "options": ["rbind", "ro"]})
        with open(os.path.join(run["bundle"], "config.json"), "w") as f:
            json.dump(spec, f)
        return run

    def finish_run(self, run):
        shutil.rmtree(run["dir"], ignore_errors=True)

    def monitor_argv(self, path, run):
        return [path, "--api-version", "1", "-c", run["cid"], "-u", run["cid"], "-r", self.runc,
                "-b", run["bundle"], "-p", run["pidfile"], "-P", run["monpid"],
                "--exit-dir", run["exits"], "-l", "k8s-file:" + run["log"], "--full-attach",
                "--socket-dir-path", run["sock"], "--runtime-arg", "--root=" + self.runc_root]

    # -- driving a monitor as podman does --

    def create(self, name, path, run):
        """Spawn the monitor with sync/start socketpairs, write the start
        byte, reap the first process, read {"data": PID}. Returns the
        daemonized monitor's pid (our child: we are a subreaper)."""
        sync_ours, sync_child = (s.detach() for s in
                                 socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET))
        start_ours, start_child = (s.detach() for s in
                                   socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET))
        env = dict(os.environ, _OCI_SYNCPIPE=str(sync_child), _OCI_STARTPIPE=str(start_child))
        self.live[run["cid"]] = {"root": self.runc_root, "monpid": None,
                                 "monpidfile": run["monpid"]}
        try:
            with open(run["err"], "wb") as err:
                proc = subprocess.Popen(self.monitor_argv(path, run), env=env,
                                        pass_fds=(sync_child, start_child),
                                        stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                        process_group=0)
        finally:
            os.close(sync_child)
            os.close(start_child)
        try:
            try:
                os.write(start_ours, b"\0")
            except OSError:
                pass  # the monitor failed early; its status says why
            try:
                rc = wait_exit(proc, 30)
            except subprocess.TimeoutExpired:
                raise BenchError("%s: the first process did not exit within 30 s" % name)
            r, _, _ = select.select([sync_ours], [], [], 30)
            msg = os.read(sync_ours, 65536) if r else b""
        finally:
            os.close(sync_ours)
            os.close(start_ours)
        try:
            with open(run["monpid"]) as f:
                monpid = int(f.read().strip())
            self.live[run["cid"]]["monpid"] = monpid
        except (OSError, ValueError):
            monpid = None
        try:
            data = json.loads(msg)["data"]
        except (ValueError, KeyError, TypeError):
            data = None
        if rc != 0 or not isinstance(data, int) or data <= 0 or monpid is None:
            with open(run["err"], "rb") as f:
                errtext = f.read(2000).decode("utf-8", "replace")
            raise BenchError("%s: create failed (first process status %s, sync %r, "
                             "monitor pid %s)\n%s" % (name, rc, msg[:2000], monpid, errtext))
        if proc_stat(monpid)[1] != os.getpid():
            raise BenchError("%s: monitor %d is not our child (subreaper not effective)"
                             % (name, monpid))
        return monpid

    def runc_cmd(self, *args, check=True, timeout=60):
        r = run_cmd([self.runc, "--root", self.runc_root] + list(args), timeout,
                    capture=True, stdin=subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise BenchError("runc %s failed (%d): %s" % (
                " ".join(args), r.returncode, r.stderr.decode("utf-8", "replace").strip()))
        return r

    def reap_monitor(self, name, run, monpid, timeout=30):
        """Wait for the monitor to exit; return its final CPU seconds."""
        pidfd = os.pidfd_open(monpid)
        try:
            r, _, _ = select.select([pidfd], [], [], timeout)
        finally:
            os.close(pidfd)
        if not r:
            raise BenchError("%s: monitor %d still running %d s after the exit file"
                             % (name, monpid, timeout))
        os.waitid(os.P_PID, monpid, os.WEXITED | os.WNOWAIT)
        cpu = final_cpu(monpid)
        self.last_user = user_cpu(monpid)
        os.waitpid(monpid, 0)
        self.live[run["cid"]]["monpid"] = None
        return cpu

    def check_exit(self, name, run, want):
        with open(os.path.join(run["exits"], run["cid"])) as f:
            code = f.read().strip()
        if code != str(want):
            raise BenchError("%s: container %s exit file says %r, expected %s"
                             % (name, run["cid"], code, want))

    def delete(self, run):
        self.runc_cmd("delete", "-f", run["cid"], check=False)
        self.live.pop(run["cid"], None)

    def exit_timeout(self, mib):
        return 60 + mib * 1.0

    # -- 1. throughput --

    def producer_args(self, repeats):
        return ["cat"] + ["/b/p"] * repeats

    def throughput_monitor(self, name, path, kind, repeats):
        pat, pbytes, plines = self.pattern(kind)
        want_bytes, want_lines = pbytes * repeats, plines * repeats
        run = self.new_run("t", self.producer_args(repeats), mount=pat)
        monpid = self.create(name, path, run)
        watch = ExitDirWatch(run["exits"])
        try:
            t0 = time.monotonic()
            self.runc_cmd("start", run["cid"])
            t1 = watch.wait(run["cid"], self.exit_timeout(want_bytes / MiB))
        finally:
            watch.close()
        if t1 is None:
            raise BenchError("%s: no exit file for %s" % (name, run["cid"]))
        cpu = self.reap_monitor(name, run, monpid)
        self.check_exit(name, run, 0)
        user = self.last_user
        ok, detail = verify_k8s_log(run["log"], want_bytes, want_lines)
        if not ok:
            self.failures.append("%s, %s lines, %d bytes: %s" % (name, kind, want_bytes, detail))
            self.failed.add("throughput")
            log("  LOST OUTPUT: %s %s: %s" % (name, kind, detail))
        self.delete(run)
        self.finish_run(run)
        return {"bytes": want_bytes, "wall": t1 - t0, "cpu": cpu, "user": user, "ok": ok}

    def throughput_nomonitor(self, kind, repeats, sink):
        """The same container with no monitor: runc create with stdout a pipe
        into a plain reader, timed from runc start to the reader's end.
        sink "none": `wc -c` (the producer's ceiling: the pipe read only);
        "copy": `dd bs=256K` into a file next to the logs (the copy floor:
        the pipe read and one write of the same bytes, as a monitor reads
        and writes, minus the records; its CPU is the reader's own)."""
        pat, pbytes, _ = self.pattern(kind)
        want = pbytes * repeats
        run = self.new_run("n" if sink == "none" else "k", self.producer_args(repeats), mount=pat)
        r, w = os.pipe2(os.O_CLOEXEC)
        # As deep as tether makes its pipes: a shallower one holds the
        # producer back and lowers the ceiling.
        fcntl.fcntl(r, F_SETPIPE_SZ, MiB)
        copy = os.path.join(run["dir"], "copy")
        argv = ["wc", "-c"] if sink == "none" else ["dd", "of=" + copy, "bs=256K",
                                                      "status=none"]
        reader = subprocess.Popen(argv, stdin=r,
                                  stdout=subprocess.PIPE if sink == "none" else None)
        self.children.append(reader)
        os.close(r)
        self.live[run["cid"]] = {"root": self.runc_root, "monpid": None}
        try:
            with open(run["err"], "wb") as err:
                c = subprocess.run([self.runc, "--root", self.runc_root, "create", "--bundle",
                                    run["bundle"], "--pid-file", run["pidfile"], run["cid"]],
                                   stdin=subprocess.DEVNULL, stdout=w, stderr=err, timeout=60)
        finally:
            os.close(w)
        if c.returncode != 0:
            reader.kill()
            with open(run["err"], "rb") as f:
                raise BenchError("runc create failed: %s" % f.read(2000).decode("utf-8", "replace"))
        with open(run["pidfile"]) as f:
            ctr = int(f.read().strip())
        t0 = time.monotonic()
        self.runc_cmd("start", run["cid"])
        # The end: the reader exits at the producer's EOF (wc after printing
        # its count).
        try:
            rc, usage = wait_exit(reader, self.exit_timeout(want / MiB), usage=True)
        except subprocess.TimeoutExpired:
            raise BenchError("no monitor: the producer did not finish")
        t1 = time.monotonic()
        out = reader.stdout.read() if sink == "none" else b""
        if reader.stdout is not None:
            reader.stdout.close()
        self.children.remove(reader)
        # The container's init was re-parented to us (subreaper) when runc
        # create exited: reap it and check its status.
        _, status = os.waitpid(ctr, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise BenchError("no monitor: the producer exited with status %d"
                             % os.waitstatus_to_exitcode(status))
        if rc != 0:
            raise BenchError("no monitor: %s exited with status %d" % (argv[0], rc))
        got = int(out.split()[0]) if sink == "none" else os.path.getsize(copy)
        ok = got == want
        if not ok:
            self.failures.append("no monitor (%s), %s lines: read %d bytes of %d"
                                 % (argv[0], kind, got, want))
            self.failed.add("throughput")
        self.delete(run)
        self.finish_run(run)
        cpu = None if sink == "none" else usage.ru_utime + usage.ru_stime
        return {"bytes": got, "wall": t1 - t0, "cpu": cpu, "user": usage.ru_utime, "ok": ok}

    def bench_throughput(self):
        repeats = self.o.size_mib
        res = {}
        for kind in ("100B", "64KiB"):
            variants = [("none", None), ("copy", None)] + self.monitors
            log("throughput, %s lines, %d MiB: warm-up" % (kind, self.o.warmup_mib))
            for name, path in variants:  # warm-up: caches, runc, first page faults
                if path:
                    self.throughput_monitor(name, path, kind, self.o.warmup_mib)
                else:
                    self.throughput_nomonitor(kind, self.o.warmup_mib, name)
            runs = {name: [] for name, _ in variants}
            for i in range(self.o.reps):
                k = i % len(variants)
                order = variants[k:] + variants[:k]
                for name, path in order:
                    if path:
                        x = self.throughput_monitor(name, path, kind, repeats)
                    else:
                        x = self.throughput_nomonitor(kind, repeats, name)
                    runs[name].append(x)
                    log("  rep %d %-6s %7.1f MiB/s  wall %.3f s  cpu %s%s" % (
                        i + 1, name, x["bytes"] / MiB / x["wall"], x["wall"],
                        "-" if x["cpu"] is None else "%.3f s" % x["cpu"],
                        "" if x["ok"] else "  LOST OUTPUT"))
            res[kind] = runs
        self.results["throughput"] = res

    # -- 2. attach throughput --

    def build_helper(self, name):
        """bench/NAME.c, built once per bench into the temp dir."""
        exe = os.path.join(self.work, name)
        if not os.path.exists(exe):
            cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
            if cc is None:
                raise BenchError("no C compiler to build bench/%s.c" % name)
            r = subprocess.run([cc, "-O2", "-o", exe,
                                os.path.join(REPO, "bench", name + ".c")],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise BenchError("building bench/%s.c failed:\n%s" % (name, r.stderr))
        return exe

    def attach_client(self):
        return self.build_helper("attach_client")

    def attach_monitor(self, name, path, kind, repeats, warmup=False):
        """The producer under a monitor with one attach client (bench/
        attach_client.c) connected before `runc start`; every packet read
        until EOF. Returns throughput_monitor's dict plus got (data bytes
        received) and packets; wall = `runc start` to the client's EOF."""
        pat, pbytes, plines = self.pattern(kind)
        want_bytes, want_lines = pbytes * repeats, plines * repeats
        run = self.new_run("a", self.producer_args(repeats), mount=pat)
        monpid = self.create(name, path, run)
        sock = os.path.join(run["bundle"], "attach")
        if not os.path.exists(sock):
            raise BenchError("%s: no attach socket at BUNDLE/attach after create" % name)
        client = subprocess.Popen([self.attach_client(), sock, str(self.o.attach_bufsize)],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.children.append(client)
        watch = ExitDirWatch(run["exits"])
        try:
            if client.stdout.readline() != b"connected\n":
                client.wait()
                raise BenchError("%s: the attach client could not connect: %s" % (
                    name, client.stderr.read().decode("utf-8", "replace").strip()))
            t0 = time.monotonic()
            self.runc_cmd("start", run["cid"])
            r, _, _ = select.select([client.stdout], [], [], self.exit_timeout(want_bytes / MiB))
            if not r:
                raise BenchError("%s: the attach client did not finish" % name)
            out, err = client.communicate()
            self.children.remove(client)
            fields = out.split()
            if client.returncode != 0 or len(fields) != 7:
                raise BenchError("%s: attach client failed (%s): %s" % (
                    name, client.returncode, err.decode("utf-8", "replace").strip()))
            packets, got, lines, other, oversize, biggest, eof_ns = (int(x) for x in fields)
            t1 = eof_ns / 1e9
            if watch.wait(run["cid"], 60) is None:
                raise BenchError("%s: no exit file for %s" % (name, run["cid"]))
        finally:
            watch.close()
        cpu = self.reap_monitor(name, run, monpid)
        self.check_exit(name, run, 0)
        ok = got == want_bytes and lines == want_lines and not other and not oversize
        if not ok:
            bufsize = self.o.attach_bufsize
            detail = "%d packets, %d bytes of %d, %d lines of %d" % (
                packets, got, want_bytes, lines, want_lines)
            if other:
                detail += ", %d with a stream byte other than 2 (stdout)" % other
            if oversize:
                detail += ", %d longer than %d bytes (largest %d)" % (oversize, bufsize, biggest)
            self.failures.append("attach, %s, %s lines, %d bytes%s: %s" % (
                name, kind, want_bytes, " (warm-up)" if warmup else "", detail))
            self.failed.add("attach")
            log("  LOST OUTPUT (attach): %s %s: %s" % (name, kind, detail))
        self.delete(run)
        self.finish_run(run)
        return {"bytes": want_bytes, "got": got, "packets": packets, "wall": t1 - t0,
                "cpu": cpu, "ok": ok}

    def bench_attach(self):
        repeats = self.o.attach_mib
        res = {}
        for kind in ("100B", "64KiB"):
            log("attach, %s lines, %d MiB, %d-byte reads: warm-up"
                % (kind, self.o.attach_warmup_mib, self.o.attach_bufsize))
            for name, path in self.monitors:
                self.attach_monitor(name, path, kind, self.o.attach_warmup_mib, warmup=True)
            runs = {name: [] for name, _ in self.monitors}
            for i in range(self.o.reps):
                order = self.monitors if i % 2 == 0 else self.monitors[::-1]
                for name, path in order:
                    x = self.attach_monitor(name, path, kind, repeats)
                    runs[name].append(x)
                    log("  rep %d %-6s %7.1f MiB/s  wall %.3f s  cpu %.3f s  %d packets%s" % (
                        i + 1, name, x["got"] / MiB / x["wall"], x["wall"], x["cpu"],
                        x["packets"], "" if x["ok"] else "  LOST OUTPUT (%.1f%% received)"
                        % (100.0 * x["got"] / x["bytes"])))
            res[kind] = runs
        self.results["attach"] = res

    # -- 3. lifecycle --

    def lifecycle_monitor(self, name, path):
        run = self.new_run("l", ["true"])
        watch = ExitDirWatch(run["exits"])
        try:
            t0 = time.monotonic()
            monpid = self.create(name, path, run)
            self.runc_cmd("start", run["cid"])
            t1 = watch.wait(run["cid"], 60)
        finally:
            watch.close()
        if t1 is None:
            raise BenchError("%s: no exit file for a `true` container" % name)
        cpu = self.reap_monitor(name, run, monpid)
        self.check_exit(name, run, 0)
        self.delete(run)
        self.finish_run(run)
        return {"wall": t1 - t0, "cpu": cpu}

    def lifecycle_runc(self):
        run = self.new_run("r", ["true"])
        self.live[run["cid"]] = {"root": self.runc_root, "monpid": None}
        t0 = time.monotonic()
        r = run_cmd([self.runc, "--root", self.runc_root, "run", "--keep", "--bundle",
                     run["bundle"], run["cid"]], 60, stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        t1 = time.monotonic()
        if r.returncode != 0:
            raise BenchError("runc run failed (%d): %s" % (
                r.returncode, r.stderr.decode("utf-8", "replace").strip()))
        self.delete(run)
        self.finish_run(run)
        return {"wall": t1 - t0, "cpu": None}

    def lifecycle_create_start(self):
        """The runtime calls a monitor makes, without a monitor: `runc create`
        (stdio /dev/null), `runc start`, the container's exit (it is
        re-parented to us, a subreaper, when runc create exits). Both floors
        run the runtime in a session of its own, as the monitors do (setsid):
        runc create is markedly slower without.)"""
        run = self.new_run("s", ["true"])
        self.live[run["cid"]] = {"root": self.runc_root, "monpid": None}
        t0 = time.monotonic()
        with open(run["err"], "wb") as err:
            r = run_cmd([self.runc, "--root", self.runc_root, "create", "--bundle",
                         run["bundle"], "--pid-file", run["pidfile"], run["cid"]], 60,
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                        start_new_session=True)
        if r.returncode != 0:
            with open(run["err"], "rb") as f:
                raise BenchError("runc create failed: %s"
                                 % f.read(2000).decode("utf-8", "replace"))
        with open(run["pidfile"]) as f:
            ctr = int(f.read().strip())
        self.runc_cmd("start", run["cid"])
        _, status = os.waitpid(ctr, 0)
        t1 = time.monotonic()
        if os.waitstatus_to_exitcode(status) != 0:
            raise BenchError("runc create + start: `true` exited with status %d"
                             % os.waitstatus_to_exitcode(status))
        self.delete(run)
        self.finish_run(run)
        return {"wall": t1 - t0, "cpu": None}

    def bench_lifecycle(self):
        floors = {"runc run": self.lifecycle_runc,
                  "runc create+start": self.lifecycle_create_start}
        variants = ([(name, None) for name in floors] +
                    [("least monitor", self.build_helper("least_monitor"))] + self.monitors)

        def once(name, path):
            return self.lifecycle_monitor(name, path) if path else floors[name]()

        log("lifecycle of `true`: warm-up")
        for name, path in variants:
            for _ in range(2):
                once(name, path)
        runs = {name: [] for name, _ in variants}
        for i in range(self.o.lifecycle_reps):
            k = i % len(variants)
            for name, path in variants[k:] + variants[:k]:
                runs[name].append(once(name, path))
        for name, _ in variants:
            log("  %-8s median %.1f ms" % (name, 1000 * median([x["wall"] for x in runs[name]])))
        self.results["lifecycle"] = runs

    # -- 3b. exec latency --

    def exec_once(self, name, path, target):
        """One exec of `true` into the running target container, as CRI-O's
        ExecSync drives a monitor (legacy keys, --sync, a plain pipe): from
        spawning the monitor to its exit with {"exit_code": 0} read."""
        d = os.path.join(self.work, "x%05d" % self.seq)
        self.seq += 1
        os.makedirs(d)
        spec = os.path.join(d, "process.json")
        with open(spec, "w") as f:
            json.dump({"args": ["true"], "cwd": "/", "terminal": False,
                       "user": {"uid": 0, "gid": 0},
                       "env": ["PATH=/usr/bin:/bin:/usr/sbin:/sbin"]}, f)
        r, w = os.pipe()
        argv = [path, "-c", target["cid"], "-n", "bench", "-r", self.runc,
                "-p", os.path.join(d, "exec.pid"), "-e", "-l", os.path.join(d, "exec.log"),
                "--socket-dir-path", os.path.join(d, "sock"), "--sync",
                "--exec-process-spec", spec, "--runtime-arg", "--root=" + self.runc_root]
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, env=dict(os.environ, _OCI_SYNCPIPE=str(w)),
                                pass_fds=(w,), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        _, status, usage = os.wait4(proc.pid, 0)
        t1 = time.monotonic()
        proc.returncode = os.waitstatus_to_exitcode(status)
        msg = os.read(r, 4096)
        os.close(r)
        shutil.rmtree(d, ignore_errors=True)
        if proc.returncode != 0 or b'"exit_code": 0' not in msg:
            raise BenchError("%s: exec of true failed (status %s, sync %r)"
                             % (name, proc.returncode, msg))
        return {"wall": t1 - t0, "cpu": usage.ru_utime + usage.ru_stime}

    def bench_exec(self):
        # One container to exec into, run by the first monitor: the exec
        # monitors are separate processes and do not care which.
        target = self.new_run("t", ["sleep", "3600"])
        name0, path0 = self.monitors[0]
        self.create(name0, path0, target)
        self.runc_cmd("start", target["cid"])
        log("exec latency of `true`: warm-up")
        for name, path in self.monitors:
            for _ in range(2):
                self.exec_once(name, path, target)
        runs = {name: [] for name, _ in self.monitors}
        for i in range(self.o.lifecycle_reps):
            k = i % len(self.monitors)
            for name, path in self.monitors[k:] + self.monitors[:k]:
                runs[name].append(self.exec_once(name, path, target))
        for name, _ in self.monitors:
            log("  %-8s median %.1f ms" % (name, 1000 * median([x["wall"] for x in runs[name]])))
        self.runc_cmd("kill", target["cid"], "KILL", check=False)
        self.results["exec"] = runs

    # -- 4. idle memory --

    def start_idle(self, name, path, count, tag, workers=1):
        """count `sleep` containers under one monitor each; returns
        [(run, monpid)] of those started (all of them, or fewer with an
        error saying why when the machine ran out of something)."""
        started, lock = [], threading.Lock()

        def one(_):
            # Not "sleep 100...": the test suite's `pgrep -f "sleep 100"`
            # checks must not see the bench's containers.
            run = self.new_run(tag, ["sleep", "86400"])
            try:
                monpid = self.create(name, path, run)
                self.runc_cmd("start", run["cid"])
            except Exception:
                self.finish_run(run)
                raise
            with lock:
                started.append((run, monpid))

        error = None
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for fut in [pool.submit(one, i) for i in range(count)]:
                try:
                    fut.result()
                except (BenchError, OSError, subprocess.SubprocessError) as e:
                    error = error or e
        return started, error

    def sample_idle(self, name, started):
        time.sleep(1.0)  # every monitor settles into its idle loop
        out = []
        for run, monpid in started:
            if proc_stat(monpid)[0] == "Z":
                raise BenchError("%s: monitor %d exited while its container "
                                 "should be sleeping" % (name, monpid))
            out.append(smaps_rollup(monpid))
        return out

    def bench_memory(self):
        samples = {name: [] for name, _ in self.monitors}
        for rnd in range(self.o.memory_rounds):
            order = self.monitors if rnd % 2 == 0 else self.monitors[::-1]
            for name, path in order:
                log("idle memory, round %d: %d `sleep` containers under %s"
                    % (rnd + 1, self.o.idle, name))
                started = []
                try:
                    started, error = self.start_idle(name, path, self.o.idle, "m")
                    if error is not None:
                        raise BenchError("%s: starting %d idle containers: %s"
                                         % (name, self.o.idle, error))
                    samples[name].extend(self.sample_idle(name, started))
                finally:
                    self.stop_idle(name, started)
        self.results["memory"] = samples

    def bench_scale(self):
        """--scale idle containers per monitor at once (or as many as the
        machine holds): the monitors' memory summed over all of them."""
        res = {}
        for name, path in self.monitors:
            log("scale: %d `sleep` containers under %s" % (self.o.scale, name))
            started = []
            t0 = time.monotonic()
            try:
                started, error = self.start_idle(name, path, self.o.scale, "k",
                                                 workers=self.o.workers)
                took = time.monotonic() - t0
                if error is not None:
                    log("  %s: %d of %d started: %s" % (name, len(started), self.o.scale, error))
                if not started:
                    raise BenchError("%s: no idle container could start: %s" % (name, error))
                res[name] = {"samples": self.sample_idle(name, started),
                             "error": None if error is None else str(error).splitlines()[0],
                             "start_s": took}
                log("  %s: %d running (%.0f s to start them)" % (name, len(started), took))
            finally:
                self.stop_idle(name, started, workers=self.o.workers)
        self.results["scale"] = res

    def stop_idle(self, name, started, workers=1):
        def kill(item):
            self.runc_cmd("kill", item[0]["cid"], "KILL", check=False)

        def reap(item):
            run, monpid = item
            watch = ExitDirWatch(run["exits"])
            try:
                t = watch.wait(run["cid"], 60)
            finally:
                watch.close()
            if t is None:
                raise BenchError("%s: no exit file after killing %s" % (name, run["cid"]))
            self.reap_monitor(name, run, monpid)
            self.check_exit(name, run, 137)
            self.delete(run)
            self.finish_run(run)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(kill, started))
            list(pool.map(reap, started))

    # -- clean-up --

    def cleanup(self):
        """Kill what is left: containers through runc (so their monitors see
        them exit), then monitors still alive (our children, by pid), then
        helpers; reap; remove the temp dir."""
        for cid in list(self.live):
            self.runc_cmd("kill", cid, "KILL", check=False, timeout=20)
        deadline = time.monotonic() + 5
        for cid, info in list(self.live.items()):
            pid = info["monpid"]
            if pid is None and info.get("monpidfile"):
                try:  # interrupted before create() had read the -P file
                    with open(info["monpidfile"]) as f:
                        pid = int(f.read().strip())
                    if proc_stat(pid)[1] != os.getpid():
                        pid = None  # not our child: not ours to wait for or kill
                except (OSError, ValueError):
                    pid = None
            if pid is None:
                continue
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                continue
            r, _, _ = select.select([pidfd], [], [], max(0.0, deadline - time.monotonic()))
            os.close(pidfd)
            if not r:
                try:
                    os.kill(pid, signal.SIGKILL)  # our own unreaped child: pid not reused
                except OSError:
                    pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        for p in self.children:
            try:
                p.kill()
                p.wait(timeout=5)
            except (OSError, subprocess.SubprocessError):
                pass
        for cid in list(self.live):
            self.runc_cmd("delete", "-f", cid, check=False, timeout=20)
        self.live.clear()
        while True:  # orphans re-parented to us (containers of killed monitors)
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if self.o.keep:
            log("kept %s" % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def verify_k8s_log(path, want_bytes, want_lines):
    """Rebuild the stdout stream from k8s-file records ("TS stdout F|P text")
    and compare with what the producer wrote (lines of 'x' ending in \\n)."""
    total = lines = records = bad = 0
    first_bad = None
    try:
        f = open(path, "rb", buffering=1 << 20)
    except OSError as e:
        return False, "no log: %s" % e
    with f:
        for rec in f:
            records += 1
            parts = rec.split(b" ", 3)
            if (len(parts) != 4 or parts[1] != b"stdout" or parts[2] not in (b"F", b"P")
                    or rec[-1:] != b"\n" or parts[3].translate(None, b"x") != b"\n"):
                bad += 1
                if first_bad is None:
                    first_bad = rec[:120]
                continue
            n = len(parts[3]) - 1
            if parts[2] == b"F":
                lines += 1
                total += n + 1
            else:
                total += n
    ok = bad == 0 and total == want_bytes and lines == want_lines
    detail = "%d records, %d bytes of %d, %d lines of %d, %d malformed%s" % (
        records, total, want_bytes, lines, want_lines, bad,
        "" if first_bad is None else " (first: %r)" % first_bad)
    return ok, detail


# --- report --------------------------------------------------------------------

def fmt_ratio(a, b):
    return "%.2f" % (a / b) if b else "-"


def report(bench, opts, started, elapsed):
    o = opts
    res = bench.results
    out = []
    w = out.append
    targets = []  # (figure, tether, conmon, ratio, goal text, met, advantage, goal advantage)

    def target(figure, t, c, unit, higher_better, goal, fmt="%.1f"):
        """One of the issue's targets: goal is the ratio tether/conmon to
        reach (at least it if higher_better, else at most it)."""
        ratio = t / c if c else float("nan")
        met = ratio >= goal if higher_better else ratio <= goal
        adv = ratio if higher_better else (1 / ratio if ratio else float("inf"))
        targets.append((figure, (fmt % t) + unit, (fmt % c) + unit, ratio,
                        ("≥ %.2f" if higher_better else "≤ %.2f") % goal, met, adv,
                        goal if higher_better else 1 / goal))

    w("# Benchmarks: tether and conmon side by side")
    w("")
    w("Generated by `bench/run.sh%s` on %s (%.0f s); do not edit by hand, re-run it."
      % (" --quick" if o.quick else "", started.strftime("%Y-%m-%d %H:%M %Z").strip(), elapsed))
    w("Medians; the variants alternate within every repetition. "
      "Ratios are tether/conmon.")
    w("")
    w("## Machine")
    w("")
    for k, v in machine_facts(opts):
        w("- %s: %s" % (k, v))
    w("")
    summary_at = len(out)
    if "throughput" in res:
        w("## 1. Log throughput (k8s-file)")
        w("")
        w("≈ %d MiB of `x` lines per run (%d copies of a ~1 MiB file), %d repetitions. "
          "MiB/s = bytes logged / wall time from `runc start` to the exit file. "
          "CPU = the monitor process's own utime+stime over its whole life. "
          "Every log was parsed back and matched the producer's bytes and lines%s. "
          "One untimed %d MiB warm-up run per variant first."
          % (o.size_mib, o.size_mib, o.reps,
             "" if "throughput" not in bench.failed
             else " **except the runs listed under Failures**",
             o.warmup_mib))
        w("")
        w("| lines | monitor | MiB/s | wall s | CPU s | of which user s | CPU ms/MiB |")
        w("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        bounds = []
        labels = {"none": "none (producer ceiling)", "copy": "none (copy floor)"}
        for kind, runs in res["throughput"].items():
            med = {}
            for name in ("none", "copy", "conmon", "tether"):
                xs = runs[name]
                mibs = median([x["bytes"] / MiB / x["wall"] for x in xs])
                wall = median([x["wall"] for x in xs])
                mib = xs[0]["bytes"] / MiB
                cpu = median([x["cpu"] for x in xs]) if name != "none" else None
                user = median([x["user"] for x in xs]) if name != "none" else None
                med[name] = (mibs, wall, cpu, mib)
                label = labels.get(name, name)
                w("| %s | %s | %.1f (%.0f–%.0f) | %.3f | %s | %s | %s |" % (
                    kind, label, mibs, min(x["bytes"] / MiB / x["wall"] for x in xs),
                    max(x["bytes"] / MiB / x["wall"] for x in xs), wall,
                    "-" if cpu is None else "%.3f" % cpu,
                    "-" if user is None else "%.2f" % user,
                    "-" if cpu is None else "%.2f" % (1000 * cpu / mib)))
            t, c = med["tether"], med["conmon"]
            w("| %s | **tether/conmon** | **%s** | %s | **%s** | | %s |" % (
                kind, fmt_ratio(t[0], c[0]), fmt_ratio(t[1], c[1]), fmt_ratio(t[2], c[2]),
                fmt_ratio(t[2], c[2])))
            w("| %s | tether/ceiling | %s | | | | |" % (kind, fmt_ratio(t[0], med["none"][0])))
            # A monitor busy X ms of CPU per MiB relays at most 1000/X MiB/s
            # on a core of its own, whatever the producer could do.
            bounds.append((kind, 1000 * t[2] / t[3], 1000 / (1000 * t[2] / t[3]),
                           med["none"][0], med["copy"]))
            target("log throughput, %s lines" % kind, t[0], c[0], " MiB/s", True, 3)
            ceil = med["none"][0]
            targets.append(("log throughput, %s lines: tether / producer ceiling" % kind,
                            "%.1f MiB/s" % t[0], "(ceiling %.1f MiB/s)" % ceil, t[0] / ceil,
                            "≥ 0.85" if kind == "100B" else "-",
                            t[0] / ceil >= 0.85 if kind == "100B" else None, None, None))
            cp = med["copy"]
            targets.append(("log throughput, %s lines: copy floor / producer ceiling (the "
                            "most a monitor could reach)" % kind,
                            "(copy floor %.1f MiB/s)" % cp[0], "(ceiling %.1f MiB/s)" % ceil,
                            cp[0] / ceil, "-", None, None, None))
            targets.append(("log throughput, %s lines: copy floor / conmon (the most a "
                            "monitor could show)" % kind, "(copy floor %.1f MiB/s)" % cp[0],
                            "%.1f MiB/s" % c[0], cp[0] / c[0], "-", None, None, None))
            target("log CPU per MiB, %s lines" % kind, 1000 * t[2] / t[3],
                   1000 * c[2] / c[3], " ms", False, 1 / 3, fmt="%.2f")
            targets.append(("log CPU per MiB, %s lines: copy floor / conmon (the least a "
                            "monitor could show)" % kind, "(copy floor %.2f ms)"
                            % (1000 * cp[2] / cp[3]), "%.2f ms" % (1000 * c[2] / c[3]),
                            (cp[2] / cp[3]) / (c[2] / c[3]), "-", None, None, None))
        w("")
        w("(MiB/s: median, then min–max over the repetitions. Ratio > 1 on MiB/s and "
          "< 1 on CPU favour tether.)")
        w("")
        w("What bounds tether here: its own CPU per MiB, nearly all of it in the kernel "
          "(\"of which user\" is the user-space share: splitting lines and building "
          "records; the rest is the pipe read and the log file's write of the records, "
          "about 1.45 times the bytes for 100-byte lines, into the page cache). A monitor "
          "that needs X ms of CPU per MiB relays at most 1000/X MiB/s even on a core of "
          "its own:")
        w("")
        for kind, per_mib, most, ceil, _ in bounds:
            w("- %s lines: %.2f ms/MiB, so at most %.0f MiB/s = %.0f%% of this run's "
              "producer ceiling (%.0f MiB/s)." % (kind, per_mib, most, 100 * most / ceil, ceil))
        w("")
        w("What bounds any monitor: the copy floor. `dd bs=256K` reading the same pipe "
          "and writing what it read into a file beside the logs does the two kernel "
          "copies every file-logging monitor must do (the pipe read, and the write into "
          "the page cache), in the same 256 KiB pieces as tether, and nothing else: no "
          "line splitting, no timestamps, 1.00 times the bytes written where the "
          "k8s-file format needs more. No monitor needs less CPU per MiB than it, and "
          "none that reads and writes in one thread (as conmon and tether do) relays "
          "faster on the same cores:")
        w("")
        for kind, per_mib, _, ceil, cp in bounds:
            floor = 1000 * cp[2] / cp[3]
            w("- %s lines: the copy floor took %.2f ms/MiB and ran at %.0f MiB/s (%.0f%% of "
              "the producer ceiling); tether took %.2f ms/MiB, %.2f times the floor."
              % (kind, floor, cp[0], 100 * cp[0] / ceil, per_mib, per_mib / floor))
        w("")
    if "attach" in res:
        w("## 2. Attach throughput")
        w("")
        w("The producer of section 1 (≈ %d MiB per run, %d repetitions, one untimed %d MiB "
          "warm-up run per monitor first) with ONE client on the attach socket "
          "(`--full-attach`: BUNDLE/attach, SOCK_SEQPACKET), connected as podman does "
          "(socket file opened O_PATH, connect() to /proc/self/fd/N) after the sync "
          "message and before `runc start`. The client is `bench/attach_client.c`, "
          "built by the bench: a tight blocking recv loop in C (as podman's Go client; a "
          "Python loop was itself the bottleneck, at a full core) with a %d-byte buffer%s, "
          "reading every packet until EOF. "
          "MiB/s = data bytes received (stream byte excluded) / wall time from `runc start` "
          "to the client's EOF. Every packet must carry stream byte 2 (stdout) and at most "
          "%d data bytes, and the bytes and lines received must equal what the producer "
          "wrote; a run that falls short is lost output (listed under Failures, exit "
          "status 1). The k8s-file log is written too during these runs (both monitors, "
          "same `-l k8s-file:` as section 1), so MiB/s and CPU include the log writes; "
          "CPU = the monitor process's own utime+stime over its whole life, as in "
          "section 1, per MiB the producer wrote. A client slower than the producer is "
          "normal here (it shares the 2 cores with the monitor and the container): conmon "
          "then blocks on its write to the client (backpressure: the container waits, "
          "nothing is lost); a monitor that drops what the client cannot take in time "
          "shows received < 100%%."
          % (o.attach_mib, o.reps, o.attach_warmup_mib, o.attach_bufsize,
             " (podman's: 1 stream byte + 8192)" if o.attach_bufsize == 8193 else "",
             o.attach_bufsize - 1))
        w("")
        w("| lines | monitor | MiB/s | wall s | received | CPU s | CPU ms/MiB |")
        w("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for kind, runs in res["attach"].items():
            med = {}
            for name in ("conmon", "tether"):
                xs = runs[name]
                rates = [x["got"] / MiB / x["wall"] for x in xs]
                mibs, wall = median(rates), median([x["wall"] for x in xs])
                mib = xs[0]["bytes"] / MiB
                cpu = median([x["cpu"] for x in xs])
                fracs = [x["got"] / x["bytes"] for x in xs]
                lossy = sum(1 for x in xs if not x["ok"])
                med[name] = (mibs, wall, cpu, lossy)
                recv = ("100%" if not lossy else "**%.1f%%** (%d of %d runs short; min %.1f%%)"
                        % (100 * median(fracs), lossy, len(xs), 100 * min(fracs)))
                w("| %s | %s | %.1f (%.0f–%.0f) | %.3f | %s | %.3f | %.2f |" % (
                    kind, name, mibs, min(rates), max(rates), wall, recv, cpu,
                    1000 * cpu / mib))
            t, c = med["tether"], med["conmon"]
            target("attach throughput, %s lines%s" % (kind, " (lossy)" if t[3] or c[3] else ""),
                   t[0], c[0], " MiB/s", True, 2)
            w("| %s | **tether/conmon** | **%s**%s | %s | | **%s** | %s |" % (
                kind, fmt_ratio(t[0], c[0]),
                " (lossy)" if t[3] or c[3] else "", fmt_ratio(t[1], c[1]),
                fmt_ratio(t[2], c[2]), fmt_ratio(t[2], c[2])))
        w("")
        w("(MiB/s: median, then min–max over the repetitions, of bytes actually received. "
          "received: median share of the written bytes that reached the client. Ratio > 1 "
          "on MiB/s and < 1 on CPU favour tether; a ratio marked lossy compares runs "
          "that did not deliver everything.)")
        w("")
    if "lifecycle" in res:
        runs = res["lifecycle"]
        floor = median([x["wall"] for x in runs["runc run"]])
        floor2 = median([x["wall"] for x in runs["runc create+start"]])
        w("## 3. Lifecycle of a `true` container")
        w("")
        w("%d repetitions. Wall = spawning the monitor → sync message → `runc start` → "
          "exit file. Floors: `runc run --keep` of the same bundle (one runtime process "
          "does it all), and `runc create` + `runc start` + the container's exit with no "
          "monitor (the runtime calls every conmon-style monitor must make: the caller "
          "starts the container with a second runc process). CPU = the monitor "
          "process's own." % o.lifecycle_reps)
        w("")
        w("| variant | wall ms | p10–p90 ms | overhead above runc run, ms | "
          "above runc create+start, ms | monitor CPU ms |")
        w("| --- | ---: | ---: | ---: | ---: | ---: |")
        med = {}
        for name in ("runc run", "runc create+start", "least monitor", "conmon", "tether"):
            xs = sorted(x["wall"] for x in runs[name])
            m = median(xs)
            p10 = xs[int(0.1 * (len(xs) - 1))]
            p90 = xs[int(round(0.9 * (len(xs) - 1)))]
            mon = name in ("least monitor", "conmon", "tether")
            cpu = median([x["cpu"] for x in runs[name]]) if mon else None
            med[name] = (m, m - floor, m - floor2, cpu)
            w("| %s | %.1f | %.1f–%.1f | %s | %s | %s |" % (
                name + ("" if name in ("conmon", "tether") else " (floor)"), 1000 * m,
                1000 * p10, 1000 * p90,
                "-" if name == "runc run" else "%.1f" % (1000 * (m - floor)),
                "%.1f" % (1000 * (m - floor2)) if mon else "-",
                "-" if cpu is None else "%.2f" % (1000 * cpu)))
        t, c = med["tether"], med["conmon"]
        w("| **tether/conmon** | **%s** | | **%s** | **%s** | **%s** |" % (
            fmt_ratio(t[0], c[0]), fmt_ratio(t[1], c[1]) if c[1] > 0 else "-",
            fmt_ratio(max(t[2], 0.0), c[2]) if c[2] > 0 else "-", fmt_ratio(t[3], c[3])))
        w("")
        w("`runc start` alone is a second runtime process (%.1f ms here: create+start "
          "minus runc run): every monitor driven the conmon way pays it, so it is in "
          "both monitors' overhead above `runc run`, and no monitor can get that "
          "overhead below it. The last overhead column is what the monitor itself adds."
          % (1000 * (floor2 - floor)))
        w("")
        lm = med["least monitor"]
        w("The least monitor (`bench/least_monitor.c`, built by the bench) takes the "
          "same command line and does only what the caller waits for: the start byte, "
          "one fork, `runc create`, the sync message, the container's exit, the exit "
          "file (no logs, no attach socket, nothing else). Its overhead above `runc run` "
          "(%.1f ms, %.2f of conmon's) is what the steps no monitor driven the conmon "
          "way can skip cost on this machine: the second runtime process, a monitor's "
          "exec and fork, and the wake-ups on runc create's and the container's exits. "
          "One run's medians scatter by a few ms (see p10–p90): compare it over runs."
          % (1000 * lm[1], lm[1] / c[1] if c[1] > 0 else float("nan")))
        w("")
        if c[1] > 0:
            target("lifecycle overhead above runc run", 1000 * t[1], 1000 * c[1], " ms",
                   False, 0.5)
            targets.append(("lifecycle overhead above runc run: least monitor / conmon (what "
                            "the steps no monitor can skip cost)", "(least monitor %.1f ms)"
                            % (1000 * lm[1]), "%.1f ms" % (1000 * c[1]), lm[1] / c[1], "-",
                            None, None, None))
        if c[2] > 0:
            target("lifecycle overhead above runc create+start (the monitor's own)",
                   1000 * max(t[2], 0.0), 1000 * c[2], " ms", False, 0.5)
    if "exec" in res:
        runs = res["exec"]
        w("## 3b. Exec latency")
        w("")
        w("%d repetitions. An exec of `true` into a running container, driven as CRI-O's "
          "ExecSync drives a monitor (legacy keys, `--sync`, a plain pipe): wall = "
          "spawning the monitor → its exit after `{\"exit_code\": 0}`; CPU = the monitor "
          "process's rusage, which includes the runtime it runs and reaps." % o.lifecycle_reps)
        w("")
        w("| monitor | wall ms | p10–p90 ms | monitor CPU ms |")
        w("| --- | ---: | ---: | ---: |")
        med = {}
        for name in ("conmon", "tether"):
            xs = sorted(x["wall"] for x in runs[name])
            m = median(xs)
            cpu = median([x["cpu"] for x in runs[name]])
            med[name] = (m, cpu)
            w("| %s | %.1f | %.1f–%.1f | %.2f |" % (name, 1000 * m,
              1000 * xs[int(0.1 * (len(xs) - 1))], 1000 * xs[int(round(0.9 * (len(xs) - 1)))],
              1000 * cpu))
        w("| **tether/conmon** | **%s** | | **%s** |" % (
            fmt_ratio(med["tether"][0], med["conmon"][0]),
            fmt_ratio(med["tether"][1], med["conmon"][1])))
        w("")
        target("exec latency", 1000 * med["tether"][0], 1000 * med["conmon"][0], " ms",
               False, 1.0)
    if "memory" in res:
        mem = res["memory"]
        w("## 4. Idle memory")
        w("")
        w("%d `sleep` containers per monitor running at once (one monitor's set at a "
          "time), /proc/PID/smaps_rollup of each monitor 1 s after the last one started; "
          "medians over the %d monitors of each. Pss splits shared pages among the %d "
          "copies of the same binary (and other users of the same libraries); "
          "Private_Dirty is what each further shim costs." % (
              o.idle, o.idle * o.memory_rounds, o.idle))
        w("")
        fields = ("Rss", "Pss", "Private_Dirty", "Anonymous")
        w("| monitor | " + " | ".join(f + " kB" for f in fields) + " |")
        w("| --- |" + " ---: |" * len(fields))
        med = {}
        for name in ("conmon", "tether"):
            med[name] = [median([x.get(f, 0) for x in mem[name]]) for f in fields]
            w("| %s | " % name + " | ".join("%.0f" % v for v in med[name]) + " |")
        w("| **tether/conmon** | " + " | ".join(
            "**%s**" % fmt_ratio(a, b) for a, b in zip(med["tether"], med["conmon"])) + " |")
        w("")
        target("idle shim's Private_Dirty (%d running)" % o.idle, med["tether"][2],
               med["conmon"][2], " kB", False, 0.5, fmt="%.0f")
    if "scale" in res:
        sc = res["scale"]
        w("## 5. Many idle containers")
        w("")
        w("%d `sleep` containers per monitor asked for, started %d at a time, all "
          "running at once (one monitor's set at a time); sums over all of that "
          "monitor's processes of /proc/PID/smaps_rollup. The Pss sum is the memory the "
          "monitors take together (shared pages counted once overall)." % (
              o.scale, o.workers))
        w("")
        w("| monitor | running | Σ Pss MiB | Σ Private_Dirty MiB | Σ Rss MiB | "
          "Pss per shim kB | time to start them, s |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        sums = {}
        for name in ("conmon", "tether"):
            xs = sc[name]["samples"]
            tot = {f: sum(x.get(f, 0) for x in xs) / 1024 for f in ("Pss", "Private_Dirty", "Rss")}
            sums[name] = tot
            w("| %s | %d | %.1f | %.1f | %.1f | %.0f | %.0f |" % (
                name, len(xs), tot["Pss"], tot["Private_Dirty"], tot["Rss"],
                1024 * tot["Pss"] / len(xs), sc[name]["start_s"]))
        t, c = sums["tether"], sums["conmon"]
        w("| **tether/conmon** | | **%s** | **%s** | **%s** | | |" % (
            fmt_ratio(t["Pss"], c["Pss"]), fmt_ratio(t["Private_Dirty"], c["Private_Dirty"]),
            fmt_ratio(t["Rss"], c["Rss"])))
        w("")
        short = [(n, sc[n]) for n in ("conmon", "tether") if sc[n]["error"]]
        for n, x in short:
            w("%s: only %d of %d could run on this machine: %s" % (
                n, len(x["samples"]), o.scale, x["error"]))
            w("")
        if not short:
            w("All %d ran under each monitor." % o.scale)
            w("")
    if targets:
        summary = ["## Targets", "",
                   "Each figure as a ratio tether/conmon measured in this run (the goal "
                   "from the issues), and whether it is met. The sections below give how "
                   "each was measured and, for the goals missed, what bounds them: for "
                   "the logs, the copy floor of section 1 (a plain reader that writes the "
                   "pipe's bytes into a file, the least work any file-logging monitor "
                   "does: the rows \"copy floor / ...\" give the most any monitor could "
                   "show), the lifecycle "
                   "overhead above `runc run` in section 3 (the second runtime process, "
                   "`runc start`, that every conmon-style caller runs).", "",
                   "![tether's advantage per target](%s)" % os.path.basename(svg_path(o)), "",
                   "| figure | tether | conmon | ratio | goal | met |",
                   "| --- | ---: | ---: | ---: | ---: | --- |"]
        for fig, tv, cv, ratio, goal, met, _, _ in targets:
            summary.append("| %s | %s | %s | %.2f | %s | %s |" % (
                fig, tv, cv, ratio, goal, "-" if met is None else "yes" if met else "**no**"))
        summary.append("")
        out[summary_at:summary_at] = summary
        bench.svg = plot_svg(targets)
    if bench.failures:
        w("## Failures")
        w("")
        for f in bench.failures:
            w("- " + f)
        w("")
    w("## Commands")
    w("")
    w("```")
    w("# bench invocation")
    w(" ".join(shlex.quote(a) for a in opts.invocation))
    w("# each monitor (tether = %s, conmon = %s), as podman 4 starts conmon:" % (
        shown_path(o.tether), o.conmon))
    w("_OCI_SYNCPIPE=3 _OCI_STARTPIPE=4 MONITOR --api-version 1 -c ID -u ID -r %s -b BUNDLE "
      "-p RUN/pidfile -P RUN/monitor.pid --exit-dir RUN/exits -l k8s-file:RUN/ctr.log "
      "--full-attach --socket-dir-path RUN/sock --runtime-arg --root=TMP/runc" % o.runc)
    w("#   (SEQPACKET socketpairs; one start byte; first process reaped; {\"data\": PID} read)")
    w("%s --root TMP/runc start ID      # then wait for RUN/exits/ID (inotify)" % o.runc)
    w("# 1. producer (bundle from tests/lib/mkbundle.py, plus /b/p bind-mounted read-only):")
    w("cat /b/p /b/p ... /b/p           # %d times; /b/p = 10486 lines of 100 B "
      "(1 048 600 B) or 16 lines of 64 KiB (1 MiB)" % o.size_mib)
    w("#    ceiling: %s --root TMP/runc create --bundle BUNDLE --pid-file P ID | wc -c; "
      "runc start ID" % o.runc)
    w("#    copy floor: the same with `| dd of=RUN/copy bs=256K status=none`")
    w("# 2. the same producer, %d MiB; before runc start one attach client:" % o.attach_mib)
    w("#    bench/attach_client BUNDLE/attach %d: fd = open(BUNDLE/attach, O_PATH);"
      % o.attach_bufsize)
    w("#    connect(SOCK_SEQPACKET, /proc/self/fd/fd); recv(%d bytes, MSG_TRUNC) until EOF"
      % o.attach_bufsize)
    w("# 3. `true` under each monitor; floors (each in a session of its own, as under "
      "a monitor):")
    w("%s --root TMP/runc run --keep --bundle BUNDLE ID </dev/null >/dev/null" % o.runc)
    w("%s --root TMP/runc create --bundle BUNDLE --pid-file P ID </dev/null >/dev/null; "
      "%s --root TMP/runc start ID; wait for the container" % (o.runc, o.runc))
    w("# 4. `sleep 86400` x %d under each monitor; cat /proc/MONPID/smaps_rollup; "
      "runc kill ID KILL" % o.idle)
    w("# 5. the same with %d per monitor, %d creates (and kills, deletes) at a time"
      % (o.scale, o.workers))
    w("```")
    w("")
    w("TMP = a fresh directory on %s (`--tmpdir`), removed afterwards; rootfs = "
      "busybox-static (tests/lib/mkrootfs.sh), shared read-only." % fs_type(o.tmpdir))
    return "\n".join(out) + "\n"


def svg_path(o):
    return os.path.splitext(o.output)[0] + ".svg"


def svg_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plot_svg(targets):
    """A horizontal bar per target: how many times better than conmon tether
    is (conmon/tether for costs, tether/conmon for rates), a mark at the
    goal, a line at parity. Plain SVG, no plotting library."""
    rows = [t for t in targets if t[6] is not None]
    width, left, right, bar_h, gap, top = 860, 360, 40, 18, 12, 56
    height = top + len(rows) * (bar_h + gap) + 30
    scale_max = max([4.0] + [min(r[6], 12.0) for r in rows] + [r[7] for r in rows])
    scale_max = float(int(scale_max) + 1)
    plot_w = width - left - right

    def x(v):
        return left + plot_w * min(v, scale_max) / scale_max

    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
         'font-family="sans-serif" font-size="12">' % (width, height),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="20" font-size="15" font-weight="bold">tether vs conmon: '
         'times better (bar) against the goal (black mark)</text>' % 10,
         '<text x="%d" y="38" fill="#555">conmon/tether for costs (memory, time, CPU), '
         'tether/conmon for throughputs; 1 = parity</text>' % 10]
    for i in range(int(scale_max) + 1):
        gx = x(i)
        o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>' % (
            gx, top - 6, gx, height - 24, "#888" if i == 1 else "#e4e4e4"))
        o.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%dx</text>' % (
            gx, height - 8, i))
    for n, (fig, tv, cv, ratio, goal, met, adv, goal_adv) in enumerate(rows):
        y = top + n * (bar_h + gap)
        color = "#2e8b57" if met else "#d9822b"
        o.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (
            left - 8, y + bar_h - 5, svg_escape(fig.split(" (")[0][:58])))
        o.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (
            left, y, x(adv) - left, bar_h, color))
        o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black" '
                 'stroke-width="3"/>' % (x(goal_adv), y - 3, x(goal_adv), y + bar_h + 3))
        o.append('<text x="%.1f" y="%d" fill="black">%.2fx%s</text>' % (
            min(x(adv), x(goal_adv)) + 4 if adv < goal_adv else x(adv) + 4, y + bar_h - 5,
            adv, "" if adv <= scale_max else " (clipped)"))
    lx = width - 230
    o.append('<rect x="%d" y="10" width="12" height="12" fill="#2e8b57"/>'
             '<text x="%d" y="20">goal met</text>' % (lx, lx + 16))
    o.append('<rect x="%d" y="10" width="12" height="12" fill="#d9822b"/>'
             '<text x="%d" y="20">goal missed</text>' % (lx + 90, lx + 106))
    o.append("</svg>")
    return "\n".join(o) + "\n"


def fs_type(path):
    path = os.path.realpath(path or tempfile.gettempdir())
    best, kind = "", "?"
    with open("/proc/self/mounts") as f:
        for line in f:
            p = line.split()
            mnt = p[1].replace("\\040", " ")
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                best, kind = mnt, p[2]
    return "%s (%s)" % (path, kind)


def shown_path(path):
    """Paths inside the repository are shown relative to it: the report is
    committed and must not name this machine's directories."""
    rel = os.path.relpath(path, REPO)
    return path if rel.startswith("..") else rel


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine_facts(o):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = "%.1f GiB" % (int(f.readline().split()[1]) / (1 << 20))
    except (OSError, ValueError, IndexError):
        pass
    cg = "v2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "v1/hybrid"
    tether_v = subprocess.run([o.tether, "--version"], capture_output=True, text=True).stdout
    tether_v = " / ".join(l.strip() for l in tether_v.splitlines() if l.strip()) or "?"
    git = first_line(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return [
        ("nproc", "%d (affinity %d)" % (os.cpu_count(), len(os.sched_getaffinity(0)))),
        ("CPU", cpu),
        ("memory", mem),
        ("kernel", "%s %s" % (platform.system(), platform.release())),
        ("cgroups", cg),
        ("runc", "%s (%s)" % (first_line([o.runc, "--version"]), o.runc)),
        ("conmon", "%s (%s)" % (first_line([o.conmon, "--version"]), o.conmon)),
        ("tether", "%s (%s; git %s%s)" % (tether_v, shown_path(o.tether), git,
                                         " + local changes" if dirty else "")),
        ("work dir", fs_type(o.tmpdir)),
        ("load average at start / at the end", "%s / %s" % (o.loadavg, loadavg())),
    ]


# --- main ----------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="32 MiB, fewer repetitions, 5 idle")
    p.add_argument("--tether", default=os.environ.get("TETHER",
                                                      os.path.join(REPO, "build", "tether")))
    p.add_argument("--conmon", default=os.environ.get("CONMON", "/usr/bin/conmon"))
    p.add_argument("--runc", default=os.environ.get("RUNC") or shutil.which("runc"))
    p.add_argument("--rootfs", default=os.environ.get("TETHER_ROOTFS") or os.path.join(
        os.environ.get("TETHER_BUILD", os.path.join(REPO, "build")), "rootfs"))
    p.add_argument("--size-mib", type=int, help="MiB per throughput run (200; quick 32)")
    p.add_argument("--warmup-mib", type=int, help="untimed first run per variant (--size-mib)")
    p.add_argument("--reps", type=int, help="throughput repetitions (5; quick 5)")
    p.add_argument("--attach-mib", type=int,
                   help="MiB per attach-throughput run (--size-mib)")
    p.add_argument("--attach-bufsize", type=int, default=8193,
                   help="the attach client's recv buffer: 8193 = podman's (default); "
                   "packets longer than it count as lost output")
    p.add_argument("--lifecycle-reps", type=int, help="lifecycle repetitions (50; quick 15)")
    p.add_argument("--idle", type=int, help="idle containers per monitor (100; quick 10)")
    p.add_argument("--scale", type=int,
                   help="idle containers per monitor for the total (1000; quick 30)")
    p.add_argument("--workers", type=int, default=4,
                   help="parallel creates and deletes in the scale run (4)")
    p.add_argument("--memory-rounds", type=int, help="idle-memory rounds (2; quick 1)")
    p.add_argument("--only", action="append",
                   choices=("throughput", "attach", "lifecycle", "exec", "memory", "scale"),
                   help="run only this part (repeatable)")
    p.add_argument("--tmpdir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                   help="where the temp dir goes (default /dev/shm, a tmpfs)")
    p.add_argument("--output", default=os.path.join(REPO, "docs", "benchmarks.md"),
                   help="markdown report (default docs/benchmarks.md)")
    p.add_argument("--no-write", action="store_true", help="print only, do not write --output")
    p.add_argument("--keep", action="store_true", help="keep the temp dir")
    o = p.parse_args(argv)
    q = o.quick
    defaults = {"size_mib": (200, 32), "reps": (5, 5), "lifecycle_reps": (50, 15),
                "idle": (100, 10), "memory_rounds": (1, 1), "scale": (1000, 30)}
    for k, (full, quick) in defaults.items():
        if getattr(o, k) is None:
            setattr(o, k, quick if q else full)
    if o.warmup_mib is None:
        # Full size: the first run that grows a log that far pays for
        # first-touch page faults (tmpfs pages, the VM's memory), which
        # would otherwise land on whichever variant runs first.
        o.warmup_mib = o.size_mib
        o.attach_warmup_mib = o.attach_mib or o.size_mib
    else:
        o.attach_warmup_mib = o.warmup_mib
    if o.attach_mib is None:
        o.attach_mib = o.size_mib
    if o.attach_bufsize < 2:
        p.error("--attach-bufsize must be at least 2 (stream byte + data)")
    o.invocation = ["bench/run.sh"] + argv
    return o


def check_env(o):
    if os.geteuid() != 0:
        sys.exit("shimbench: must run as root (runc containers)")
    for name, path in (("tether", o.tether), ("conmon", o.conmon), ("runc", o.runc)):
        if not path or not os.access(path, os.X_OK):
            sys.exit("shimbench: %s not found or not executable: %r" % (name, path))
    o.tether, o.conmon, o.runc = (os.path.abspath(x) for x in (o.tether, o.conmon, o.runc))
    if not os.path.exists(os.path.join(o.rootfs, ".complete")):
        sys.exit("shimbench: no rootfs at %s (tests/lib/mkrootfs.sh builds it)" % o.rootfs)
    o.rootfs = os.path.abspath(o.rootfs)


def main(argv):
    o = parse_args(argv)
    check_env(o)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("shimbench: prctl(PR_SET_CHILD_SUBREAPER) failed")

    def on_signal(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    o.loadavg = loadavg()  # other work on the machine skews it all
    started = datetime.datetime.now().astimezone()
    t_start = time.monotonic()
    bench = Bench(o)
    parts = o.only or ["throughput", "attach", "lifecycle", "exec", "memory", "scale"]
    status = 0
    try:
        for part in ("throughput", "attach", "lifecycle", "exec", "memory", "scale"):
            if part in parts:
                getattr(bench, "bench_" + part)()
    except BenchError as e:
        log("shimbench: FAILED: %s" % e)
        status = 1
    except Interrupted as e:
        log("shimbench: interrupted (%s), cleaning up" % e)
        status = 130
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        bench.cleanup()
    if status:
        return status
    text = report(bench, o, started, time.monotonic() - t_start)
    print(text, end="")
    if not o.no_write:
        os.makedirs(os.path.dirname(o.output), exist_ok=True)
        tmp = o.output + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, o.output)
        log("shimbench: wrote %s" % o.output)
        if getattr(bench, "svg", None):
            with open(svg_path(o) + ".tmp", "w") as f:
                f.write(bench.svg)
            os.rename(svg_path(o) + ".tmp", svg_path(o))
            log("shimbench: wrote %s" % svg_path(o))
    if bench.failures:
        log("shimbench: FAILED: %d run(s) lost output:\n  %s"
            % (len(bench.failures), "\n  ".join(bench.failures)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
