#!/usr/bin/env python3
"""Launch a conmon-compatible monitor exactly as podman (or CRI-O) does.

usage: caller.py [options] -- MONITOR [ARGS...]

  --sync-type T     seqpacket (podman, default), stream (CRI-O create) or
                    pipe (CRI-O ExecSync)
  --no-start-pipe   do not set _OCI_STARTPIPE
  --no-start-byte   pass a start pipe but close it without writing (EOF)
  --pass-file PATH  open PATH (O_RDWR|O_CREAT) and let the monitor inherit it
                    (podman's port reservations, rootless sync pipes); repeatable
  --read-all        keep reading sync messages until EOF (or the timeout)
  --timeout S       how long to wait for a sync message (default 10)
  --pidfile PATH    write the first process's pid here as soon as it is spawned
  --check-file PATH report PATH's content (or null) as seen right after the
                    first process was reaped, under "files"; repeatable
  --setsid          start a new session first (so that a test can kill the
                    caller's whole process group, as when podman is killed)
  --env-out FILE    also write shell assignments (CALLER_STATUS, SYNC_RAW,
                    SYNC_DATA, SYNC_MESSAGE, SYNC_KEYS, SYNC_COUNT,
                    FIRST_PID) for a bats test to source
  --wait-timeout S  how long to wait for the first process (default 10); on
                    expiry "status" is null and it is left running

The first process gets the child ends of the pairs (inherited, numbers in
_OCI_SYNCPIPE / _OCI_STARTPIPE), its own process group (podman's Setpgid),
and the caller's stdin/stdout/stderr, except that its stdout goes to our
stderr so that ours stays a clean JSON document. We write one NUL byte on the
start pipe, reap the first process, then read the sync channel.

On stdout: one JSON object
  {"status": N, "sync": {...} | null, "raw": "...", "messages": [...],
   "parsed": [...], "fds": {"sync": N, "start": N, "extra": [N...]},
   "inodes": {"sync": N, "start": N}, "files": {...}, "caller_pid": N}
status is the first process's exit code, or 128+N when killed by signal N.
Exit status 0 if at least one sync message arrived, 1 otherwise.
"""
import argparse
import json
import os
import select
import shlex
import socket
import subprocess
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(prog="caller.py", usage="%(prog)s [options] -- MONITOR [ARGS...]",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sync-type", choices=("seqpacket", "stream", "pipe"),
                   default="seqpacket")
    p.add_argument("--no-start-pipe", action="store_true")
    p.add_argument("--no-start-byte", action="store_true")
    p.add_argument("--pass-file", action="append", default=[])
    p.add_argument("--read-all", action="store_true")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--pidfile")
    p.add_argument("--check-file", action="append", default=[])
    p.add_argument("--wait-timeout", type=float, default=10.0)
    p.add_argument("--setsid", action="store_true")
    p.add_argument("--env-out")
    if "--" not in argv:
        p.error("missing '--' before the monitor's command line")
    i = argv.index("--")
    opts = p.parse_args(argv[:i])
    opts.cmd = argv[i + 1:]
    if not opts.cmd:
        p.error("no monitor command")
    return opts


def make_channel(kind):
    """Return (our end, child's end) as raw fds, both close-on-exec."""
    if kind == "pipe":
        r, w = os.pipe2(os.O_CLOEXEC)
        return r, w
    stype = socket.SOCK_SEQPACKET if kind == "seqpacket" else socket.SOCK_STREAM
    a, b = socket.socketpair(socket.AF_UNIX, stype)
    return a.detach(), b.detach()


def read_messages(fd, kind, timeout, read_all):
    """Read sync messages: one per packet on SEQPACKET, one per line otherwise."""
    deadline = time.monotonic() + timeout
    raw = b""
    messages = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        raw += chunk
        if kind == "seqpacket":
            messages.append(chunk)
        else:
            while b"\n" in raw[sum(len(m) for m in messages):]:
                start = sum(len(m) for m in messages)
                end = raw.index(b"\n", start) + 1
                messages.append(raw[start:end])
        if messages and not read_all:
            break
    if kind != "seqpacket":
        rest = raw[sum(len(m) for m in messages):]
        if rest:
            messages.append(rest)  # an unterminated message still counts
    return raw, messages


def parse(msg):
    try:
        return json.loads(msg.decode("utf-8", "surrogateescape"))
    except ValueError:
        return None


def write_env(path, out, first_pid):
    sync = out["sync"] if isinstance(out["sync"], dict) else {}
    value = next((sync[k] for k in ("data", "pid", "exit_code") if k in sync), "")
    env = {
        "CALLER_STATUS": "" if out["status"] is None else str(out["status"]),
        "SYNC_RAW": out["raw"],
        "SYNC_DATA": str(value),
        "SYNC_MESSAGE": str(sync.get("message", "")),
        "SYNC_KEYS": " ".join(sync.keys()),
        "SYNC_COUNT": str(len(out["messages"])),
        "FIRST_PID": str(first_pid),
    }
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for k, v in env.items():
            f.write("%s=%s\n" % (k, shlex.quote(v)))
    os.rename(tmp, path)


def main():
    opts = parse_args(sys.argv[1:])
    if opts.setsid:
        os.setsid()
    sync_ours, sync_child = make_channel(opts.sync_type)
    start_ours = start_child = None
    if not opts.no_start_pipe:
        stype = "seqpacket" if opts.sync_type == "seqpacket" else "stream"
        start_ours, start_child = make_channel(stype)

    extra = []
    for path in opts.pass_file:
        extra.append(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))

    env = dict(os.environ)
    env["_OCI_SYNCPIPE"] = str(sync_child)
    if start_child is not None:
        env["_OCI_STARTPIPE"] = str(start_child)
    else:
        env.pop("_OCI_STARTPIPE", None)
    pass_fds = [sync_child] + ([start_child] if start_child is not None else []) + extra
    inodes = {"sync": os.fstat(sync_child).st_ino,
              "start": os.fstat(start_child).st_ino if start_child is not None else None}

    proc = subprocess.Popen(opts.cmd, env=env, pass_fds=pass_fds, stdout=sys.stderr.fileno(),
                            process_group=0)
    if opts.pidfile:
        with open(opts.pidfile, "w") as f:
            f.write(str(proc.pid))
    os.close(sync_child)
    for fd in extra:
        os.close(fd)
    if start_child is not None:
        os.close(start_child)
        try:
            if not opts.no_start_byte:
                os.write(start_ours, b"\0")
        except OSError:
            pass  # the monitor may already have failed; its status says why
        if opts.no_start_byte:
            os.close(start_ours)
            start_ours = None

    try:
        rc = proc.wait(timeout=opts.wait_timeout)
        status = rc if rc >= 0 else 128 - rc
    except subprocess.TimeoutExpired:
        status = None
    files = {}
    for path in opts.check_file:
        try:
            with open(path, "rb") as f:
                files[path] = f.read().decode("utf-8", "surrogateescape")
        except OSError:
            files[path] = None

    raw, messages = read_messages(sync_ours, opts.sync_type, opts.timeout, opts.read_all)
    out = {
        "status": status,
        "sync": parse(messages[0]) if messages else None,
        "raw": messages[0].decode("utf-8", "surrogateescape") if messages else raw.decode(
            "utf-8", "surrogateescape"),
        "messages": [m.decode("utf-8", "surrogateescape") for m in messages],
        "parsed": [parse(m) for m in messages],
        "fds": {"sync": sync_child, "start": start_child, "extra": extra},
        "inodes": inodes,
        "files": files,
        "caller_pid": os.getpid(),
    }
    if opts.env_out:
        write_env(opts.env_out, out, proc.pid)
    print(json.dumps(out), flush=True)
    return 0 if messages else 1


if __name__ == "__main__":
    sys.exit(main())
