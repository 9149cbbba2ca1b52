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
   `runc start` to wc's EOF. Every monitor run's k8s-file log is parsed and
   must rebuild exactly the bytes and lines the producer wrote (F and P
   records, content checked); the ceiling's byte count must match too.

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
   to /proc/self/fd/N; then `runc start`. This process is the client: a
   blocking recv loop (SO_RCVTIMEO as the hang guard) with an 8193-byte
   buffer like podman's (--attach-bufsize), until EOF. MiB/s = data bytes
   received / wall time from spawning `runc start` to the EOF; then the exit
   file, and the monitor's CPU as in 1. Each packet must be stream byte 2 +
   at most 8192 bytes (recv with MSG_TRUNC shows an oversized one), and the
   bytes and newlines received must equal what the producer wrote, else the
   run lost output.

3. Lifecycle of a `true` container: wall time from spawning the monitor to
   the exit file (create, sync message, runc start, exit). Floor: `runc run
   --keep` of the same bundle, stdio /dev/null (the delete comes after, as
   for the monitors). Overhead = median(monitor) - median(runc run).

4. Idle memory: K `sleep 1000` containers per monitor (one monitor's set at
   a time, so Pss splits shared pages among K copies of the same binary),
   /proc/PID/smaps_rollup of each monitor once all K run: Rss, Pss,
   Private_Dirty (kB), medians over all monitors of all rounds.

No timing is asserted. Exit status 1 if a run lost or corrupted output, a
container did not run or exit as expected, or a monitor failed.
Everything lives in one temp dir (tmpfs /dev/shm by default, so that log
writes and the exit fsync measure the monitor, not the disk), removed on
exit; on Ctrl-C or SIGTERM the containers and monitors started are killed.
"""
import argparse
import ctypes
import datetime
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
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
import mkbundle  # noqa: E402  (tests/lib: the bundle the tests use)

MiB = 1 << 20
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
        self.seq += 1
        cid = "sb%04d%s%s" % (self.seq, tag, os.urandom(4).hex())
        d = os.path.join(self.work, "r%04d" % self.seq)
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
                rc = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
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
        r = subprocess.run([self.runc, "--root", self.runc_root] + list(args),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
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
        ok, detail = verify_k8s_log(run["log"], want_bytes, want_lines)
        if not ok:
            self.failures.append("%s, %s lines, %d bytes: %s" % (name, kind, want_bytes, detail))
            self.failed.add("throughput")
            log("  LOST OUTPUT: %s %s: %s" % (name, kind, detail))
        self.delete(run)
        self.finish_run(run)
        return {"bytes": want_bytes, "wall": t1 - t0, "cpu": cpu, "ok": ok}

    def throughput_ceiling(self, kind, repeats):
        """The same container with no monitor: runc create with stdout a pipe
        into `wc -c`, timed from runc start to the reader's EOF."""
        pat, pbytes, _ = self.pattern(kind)
        want = pbytes * repeats
        run = self.new_run("n", self.producer_args(repeats), mount=pat)
        r, w = os.pipe2(os.O_CLOEXEC)
        reader = subprocess.Popen(["wc", "-c"], stdin=r, stdout=subprocess.PIPE)
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
        try:
            out, _ = reader.communicate(timeout=self.exit_timeout(want / MiB))
        except subprocess.TimeoutExpired:
            raise BenchError("no monitor: the producer did not finish")
        t1 = time.monotonic()
        self.children.remove(reader)
        # The container's init was re-parented to us (subreaper) when runc
        # create exited: reap it and check its status.
        _, status = os.waitpid(ctr, 0)
        got = int(out.split()[0])
        if os.waitstatus_to_exitcode(status) != 0:
            raise BenchError("no monitor: the producer exited with status %d"
                             % os.waitstatus_to_exitcode(status))
        ok = got == want
        if not ok:
            self.failures.append("no monitor, %s lines: read %d bytes of %d" % (kind, got, want))
            self.failed.add("throughput")
        self.delete(run)
        self.finish_run(run)
        return {"bytes": got, "wall": t1 - t0, "cpu": None, "ok": ok}

    def bench_throughput(self):
        repeats = self.o.size_mib
        res = {}
        for kind in ("100B", "64KiB"):
            variants = [("none", None)] + self.monitors
            log("throughput, %s lines, %d MiB: warm-up" % (kind, self.o.warmup_mib))
            for name, path in variants:  # warm-up: caches, runc, first page faults
                if path:
                    self.throughput_monitor(name, path, kind, self.o.warmup_mib)
                else:
                    self.throughput_ceiling(kind, self.o.warmup_mib)
            runs = {name: [] for name, _ in variants}
            for i in range(self.o.reps):
                k = i % len(variants)
                order = variants[k:] + variants[:k]
                for name, path in order:
                    if path:
                        x = self.throughput_monitor(name, path, kind, repeats)
                    else:
                        x = self.throughput_ceiling(kind, repeats)
                    runs[name].append(x)
                    log("  rep %d %-6s %7.1f MiB/s  wall %.3f s  cpu %s%s" % (
                        i + 1, name, x["bytes"] / MiB / x["wall"], x["wall"],
                        "-" if x["cpu"] is None else "%.3f s" % x["cpu"],
                        "" if x["ok"] else "  LOST OUTPUT"))
            res[kind] = runs
        self.results["throughput"] = res

    # -- 2. attach throughput --

    def attach_connect(self, name, run):
        """One client on the attach socket, as podman connects: the socket
        file opened O_PATH, connect() to /proc/self/fd/N (SOCK_SEQPACKET)."""
        path = os.path.join(run["bundle"], "attach")
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError as e:
            raise BenchError("%s: no attach socket at BUNDLE/attach after create: %s" % (name, e))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect("/proc/self/fd/%d" % fd)
        except OSError as e:
            s.close()
            raise BenchError("%s: connect to the attach socket failed: %s" % (name, e))
        finally:
            os.close(fd)
        # A blocking socket (no Python timeout, which would poll() before
        # every recv) with a kernel receive timeout as the hang guard.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 30, 0))
        return s

    def attach_monitor(self, name, path, kind, repeats, warmup=False):
        """The producer under a monitor with one attach client connected
        before `runc start`; every packet read until EOF. Returns
        throughput_monitor's dict plus got (data bytes received) and packets;
        wall = `runc start` to the client's EOF."""
        pat, pbytes, plines = self.pattern(kind)
        want_bytes, want_lines = pbytes * repeats, plines * repeats
        run = self.new_run("a", self.producer_args(repeats), mount=pat)
        monpid = self.create(name, path, run)
        sock = self.attach_connect(name, run)
        bufsize = self.o.attach_bufsize
        buf = bytearray(bufsize)
        recv_into, count = sock.recv_into, buf.count
        got = lines = packets = biggest = 0
        other = oversize = 0
        watch = ExitDirWatch(run["exits"])
        try:
            t0 = time.monotonic()
            starter = subprocess.Popen([self.runc, "--root", self.runc_root, "start", run["cid"]],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            self.children.append(starter)
            try:
                while True:
                    # MSG_TRUNC: a packet longer than the buffer returns its
                    # real length (the excess is lost to the reader, as it
                    # would be to podman's 8193-byte reads).
                    n = recv_into(buf, bufsize, socket.MSG_TRUNC)
                    if n == 0:
                        break
                    packets += 1
                    if n > bufsize:
                        oversize += 1
                        biggest = max(biggest, n)
                        n = bufsize
                    if buf[0] != 2:
                        other += 1
                    got += n - 1
                    lines += count(b"\n", 1, n)
            except BlockingIOError:
                raise BenchError("%s: attach client got no packet and no EOF for 30 s "
                                 "(%d bytes read)" % (name, got))
            t1 = time.monotonic()
            sock.close()
            _, err = starter.communicate(timeout=60)
            self.children.remove(starter)
            if starter.returncode != 0:
                raise BenchError("runc start failed (%d): %s" % (
                    starter.returncode, err.decode("utf-8", "replace").strip()))
            if watch.wait(run["cid"], 60) is None:
                raise BenchError("%s: no exit file for %s" % (name, run["cid"]))
        finally:
            watch.close()
            sock.close()
        cpu = self.reap_monitor(name, run, monpid)
        self.check_exit(name, run, 0)
        ok = got == want_bytes and lines == want_lines and not other and not oversize
        if not ok:
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
        r = subprocess.run([self.runc, "--root", self.runc_root, "run", "--keep", "--bundle",
                            run["bundle"], run["cid"]], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
        t1 = time.monotonic()
        if r.returncode != 0:
            raise BenchError("runc run failed (%d): %s" % (
                r.returncode, r.stderr.decode("utf-8", "replace").strip()))
        self.delete(run)
        self.finish_run(run)
        return {"wall": t1 - t0, "cpu": None}

    def bench_lifecycle(self):
        variants = [("runc run", None)] + self.monitors
        log("lifecycle of `true`: warm-up")
        for name, path in variants:
            for _ in range(2):
                self.lifecycle_monitor(name, path) if path else self.lifecycle_runc()
        runs = {name: [] for name, _ in variants}
        for i in range(self.o.lifecycle_reps):
            k = i % len(variants)
            for name, path in variants[k:] + variants[:k]:
                runs[name].append(self.lifecycle_monitor(name, path) if path
                                  else self.lifecycle_runc())
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

    def bench_memory(self):
        samples = {name: [] for name, _ in self.monitors}
        for rnd in range(self.o.memory_rounds):
            order = self.monitors if rnd % 2 == 0 else self.monitors[::-1]
            for name, path in order:
                log("idle memory, round %d: %d `sleep` containers under %s"
                    % (rnd + 1, self.o.idle, name))
                started = []
                try:
                    for _ in range(self.o.idle):
                        run = self.new_run("m", ["sleep", "1000"])
                        monpid = self.create(name, path, run)
                        started.append((run, monpid))
                        self.runc_cmd("start", run["cid"])
                    time.sleep(0.5)  # let every monitor settle into its idle loop
                    for run, monpid in started:
                        if proc_stat(monpid)[0] == "Z":
                            raise BenchError("%s: monitor %d exited while its container "
                                             "should be sleeping" % (name, monpid))
                        samples[name].append(smaps_rollup(monpid))
                finally:
                    self.stop_idle(name, started)
        self.results["memory"] = samples

    def stop_idle(self, name, started):
        for run, _ in started:
            self.runc_cmd("kill", run["cid"], "KILL", check=False)
        for run, monpid in started:
            watch = ExitDirWatch(run["exits"])
            try:
                t = watch.wait(run["cid"], 30)
            finally:
                watch.close()
            if t is None:
                raise BenchError("%s: no exit file after killing %s" % (name, run["cid"]))
            self.reap_monitor(name, run, monpid)
            self.check_exit(name, run, 137)
            self.delete(run)
            self.finish_run(run)

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
        w("| lines | monitor | MiB/s | wall s | CPU s | CPU ms/MiB |")
        w("| --- | --- | ---: | ---: | ---: | ---: |")
        for kind, runs in res["throughput"].items():
            med = {}
            for name in ("none", "conmon", "tether"):
                xs = runs[name]
                mibs = median([x["bytes"] / MiB / x["wall"] for x in xs])
                wall = median([x["wall"] for x in xs])
                mib = xs[0]["bytes"] / MiB
                cpu = median([x["cpu"] for x in xs]) if name != "none" else None
                med[name] = (mibs, wall, cpu, mib)
                label = "none (producer ceiling)" if name == "none" else name
                w("| %s | %s | %.1f (%.0f–%.0f) | %.3f | %s | %s |" % (
                    kind, label, mibs, min(x["bytes"] / MiB / x["wall"] for x in xs),
                    max(x["bytes"] / MiB / x["wall"] for x in xs), wall,
                    "-" if cpu is None else "%.3f" % cpu,
                    "-" if cpu is None else "%.2f" % (1000 * cpu / mib)))
            t, c = med["tether"], med["conmon"]
            w("| %s | **tether/conmon** | **%s** | %s | **%s** | %s |" % (
                kind, fmt_ratio(t[0], c[0]), fmt_ratio(t[1], c[1]), fmt_ratio(t[2], c[2]),
                fmt_ratio(t[2], c[2])))
        w("")
        w("(MiB/s: median, then min–max over the repetitions. Ratio > 1 on MiB/s and "
          "< 1 on CPU favour tether.)")
        w("")
    if "attach" in res:
        w("## 2. Attach throughput")
        w("")
        w("The producer of section 1 (≈ %d MiB per run, %d repetitions, one untimed %d MiB "
          "warm-up run per monitor first) with ONE client on the attach socket "
          "(`--full-attach`: BUNDLE/attach, SOCK_SEQPACKET), connected as podman does "
          "(socket file opened O_PATH, connect() to /proc/self/fd/N) after the sync "
          "message and before `runc start`. The client is this bench process: a tight "
          "blocking recv loop with a %d-byte buffer%s, reading every packet until EOF. "
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
        w("## 3. Lifecycle of a `true` container")
        w("")
        w("%d repetitions. Wall = spawning the monitor → sync message → `runc start` → "
          "exit file; floor = `runc run --keep` of the same bundle. CPU = the monitor "
          "process's own." % o.lifecycle_reps)
        w("")
        w("| variant | wall ms | p10–p90 ms | overhead above runc run, ms | monitor CPU ms |")
        w("| --- | ---: | ---: | ---: | ---: |")
        med = {}
        for name in ("runc run", "conmon", "tether"):
            xs = sorted(x["wall"] for x in runs[name])
            m = median(xs)
            p10 = xs[int(0.1 * (len(xs) - 1))]
            p90 = xs[int(round(0.9 * (len(xs) - 1)))]
            cpu = median([x["cpu"] for x in runs[name]]) if name != "runc run" else None
            med[name] = (m, m - floor, cpu)
            w("| %s | %.1f | %.1f–%.1f | %s | %s |" % (
                name + (" (floor)" if name == "runc run" else ""), 1000 * m, 1000 * p10,
                1000 * p90, "-" if name == "runc run" else "%.1f" % (1000 * (m - floor)),
                "-" if cpu is None else "%.2f" % (1000 * cpu)))
        t, c = med["tether"], med["conmon"]
        w("| **tether/conmon** | **%s** | | **%s** | **%s** |" % (
            fmt_ratio(t[0], c[0]), fmt_ratio(t[1], c[1]) if c[1] > 0 else "-",
            fmt_ratio(t[2], c[2])))
        w("")
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
    if "memory" in res:
        mem = res["memory"]
        w("## 4. Idle memory")
        w("")
        w("%d `sleep 1000` containers per monitor at a time (%d round%s), "
          "/proc/PID/smaps_rollup of each monitor; median of %d monitors each. Pss splits "
          "shared pages among the %d copies of the same binary (and other users of the "
          "same libraries)." % (o.idle, o.memory_rounds, "s" if o.memory_rounds > 1 else "",
                                 o.idle * o.memory_rounds, o.idle))
        w("")
        fields = ("Rss", "Pss", "Private_Dirty", "Anonymous")
        w("| monitor | " + " | ".join(f + " kB" for f in fields) + " |")
        w("| --- |" + " ---: |" * len(fields))
        med = {}
        for name in ("conmon", "tether"):
            med[name] = [median([s.get(f, 0) for s in mem[name]]) for f in fields]
            w("| %s | " % name + " | ".join("%.0f" % v for v in med[name]) + " |")
        w("| **tether/conmon** | " + " | ".join(
            "**%s**" % fmt_ratio(a, b) for a, b in zip(med["tether"], med["conmon"])) + " |")
        w("")
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
    w("# 2. the same producer, %d MiB; before runc start one attach client:" % o.attach_mib)
    w("#    fd = open(BUNDLE/attach, O_PATH); connect(SOCK_SEQPACKET, /proc/self/fd/fd);")
    w("#    recv(%d bytes, MSG_TRUNC) until EOF" % o.attach_bufsize)
    w("# 3. `true` under each monitor; floor:")
    w("%s --root TMP/runc run --keep --bundle BUNDLE ID </dev/null >/dev/null" % o.runc)
    w("# 4. `sleep 1000` x %d under each monitor; cat /proc/MONPID/smaps_rollup; "
      "runc kill ID KILL" % o.idle)
    w("```")
    w("")
    w("TMP = a fresh directory on %s (`--tmpdir`), removed afterwards; rootfs = "
      "busybox-static (tests/lib/mkrootfs.sh), shared read-only." % fs_type(o.tmpdir))
    return "\n".join(out) + "\n"


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
        ("load average at start", o.loadavg),
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
    p.add_argument("--idle", type=int, help="idle containers per monitor (10; quick 5)")
    p.add_argument("--memory-rounds", type=int, help="idle-memory rounds (2; quick 1)")
    p.add_argument("--only", action="append",
                   choices=("throughput", "attach", "lifecycle", "exec", "memory"),
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
                "idle": (10, 5), "memory_rounds": (2, 1)}
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

    with open("/proc/loadavg") as f:
        o.loadavg = " ".join(f.read().split()[:3])  # other work on the machine skews it all
    started = datetime.datetime.now().astimezone()
    t_start = time.monotonic()
    bench = Bench(o)
    parts = o.only or ["throughput", "attach", "lifecycle", "exec", "memory"]
    status = 0
    try:
        for part in ("throughput", "attach", "lifecycle", "exec", "memory"):
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
    if bench.failures:
        log("shimbench: FAILED: %d run(s) lost output:\n  %s"
            % (len(bench.failures), "\n  ".join(bench.failures)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
