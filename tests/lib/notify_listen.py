#!/usr/bin/env python3
"""A stand-in for systemd's notification socket, for tests.

usage: notify_listen.py SOCKET OUT [--on-ready CMD] [--text]

Binds a datagram socket at SOCKET (the value a test puts in NOTIFY_SOCKET),
with SO_PASSCRED as systemd has it, and appends one JSON line to OUT per
datagram: {"pid": SENDER, "t": MONOTONIC_SECONDS, "msg": TEXT}. With
--on-ready, CMD (a shell command) runs as soon as a datagram holds READY=1,
and its output is recorded as "on_ready" in that line: a test uses it to see
the container's state at the very moment readiness was announced. A
datagram naming MAINPID= also records "mainpid_parent": the command name of
that process's parent when the datagram came (systemd supervises a main
process that is not its child only blindly). With
--text each datagram is one plain line instead, newlines in it written as a
literal backslash-n. SOCKET (mode 0777: any container user may send) exists
once it listens. Runs until SIGTERM or SIGINT.
"""
import argparse
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time


def parent_comm(pid):
    """The command name of PID's parent, as it is now."""
    try:
        with open("/proc/%s/status" % pid) as f:
            ppid = [l.split()[1] for l in f if l.startswith("PPid:")][0]
        with open("/proc/%s/comm" % ppid) as f:
            return f.read().strip()
    except (OSError, IndexError):
        return None


def main():
    p = argparse.ArgumentParser(usage=__doc__)
    p.add_argument("socket")
    p.add_argument("out")
    p.add_argument("--on-ready")
    p.add_argument("--text", action="store_true")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    tmp = a.socket + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    s.bind(tmp)
    os.chmod(tmp, 0o777)
    os.rename(tmp, a.socket)  # appears only once bound
    cred_len = struct.calcsize("3i")
    with open(a.out, "a", buffering=1) as out:
        while True:
            msg, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(cred_len))
            pid = None
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", data[:cred_len])[0]
            if a.text:
                out.write(msg.decode(errors="replace").replace("\n", "\\n") + "\n")
                continue
            rec = {"pid": pid, "t": time.monotonic(), "msg": msg.decode(errors="replace")}
            mainpid = [f[8:] for f in rec["msg"].split("\n") if f.startswith("MAINPID=")]
            if mainpid:
                rec["mainpid_parent"] = parent_comm(mainpid[0])
            if a.on_ready and "READY=1" in rec["msg"].split("\n"):
                r = subprocess.run(a.on_ready, shell=True, capture_output=True, text=True)
                rec["on_ready"] = r.stdout.strip()
            out.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
