#!/usr/bin/env python3
"""Run a command under a real pseudo-terminal, as a person at a terminal
would: wait for a prompt, type lines, wait for expected output, and return
the command's exit status.

usage: pty_run.py [--timeout S] [--rows R --cols C] [--wait-raw]
                  [--step SEND EXPECT | --keys SEND EXPECT]... -- CMD...

Each --step types SEND (with "\\n" appended unless empty) once EXPECT (a
substring; may be empty) has appeared in the output since the last step;
--keys types SEND alone (detach keys must come without a newline after).
--wait-raw first waits until CMD has put the terminal in raw mode (no
ICANON): what is typed before that goes through the line discipline, which
echoes it and takes ctrl-q as XON.
Prints the whole output on stdout at the end; exits with CMD's status, or
124 if a step timed out.
"""
import argparse
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--rows", type=int, default=24)
    p.add_argument("--cols", type=int, default=80)
    p.add_argument("--wait-raw", action="store_true")

    class Step(argparse.Action):
        def __call__(self, parser, ns, values, option):
            ns.step.append((values[0], values[1], option == "--step"))

    for name in ("--step", "--keys"):
        p.add_argument(name, nargs=2, action=Step, dest="step", default=[],
                       metavar=("SEND", "EXPECT"))
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    o = p.parse_args()
    cmd = o.cmd[1:] if o.cmd and o.cmd[0] == "--" else o.cmd

    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", o.rows, o.cols, 0, 0))
    out = b""
    seen = 0
    deadline = time.monotonic() + o.timeout

    def pump(until):
        nonlocal out
        while until is None or until not in out[seen:]:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:
                return until is None
            if not data:
                return until is None
            out += data
        return True

    while o.wait_raw and termios.tcgetattr(fd)[3] & termios.ICANON:
        if time.monotonic() > deadline:
            sys.stderr.write("pty_run: timed out waiting for raw mode\n")
            os.kill(pid, 9)
            sys.exit(124)
        # Keep reading, so that CMD never blocks on a full terminal.
        r, _, _ = select.select([fd], [], [], 0.02)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break

    for send, expect, newline in o.step:
        if not pump(expect.encode()):
            sys.stdout.write(out.decode(errors="replace"))
            sys.stderr.write("pty_run: timed out waiting for %r\n" % expect)
            os.kill(pid, 9)
            sys.exit(124)
        seen = len(out)
        os.write(fd, send.encode() + (b"\n" if send and newline else b""))
    if not pump(None):
        # Still running at the deadline: every wait is bounded.
        sys.stdout.write(out.decode(errors="replace"))
        sys.stderr.write("pty_run: timed out waiting for the end\n")
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        sys.exit(124)
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status) & 0xff)


if __name__ == "__main__":
    main()
