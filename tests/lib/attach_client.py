#!/usr/bin/env python3
"""A SOCK_SEQPACKET attach client for tests, connecting the way podman does.

usage: attach_client.py SOCKET [--out PREFIX] [--ready FILE] [--timeout S]
                        [--send DATA] [--shutdown-write]

Opens SOCKET with O_PATH and connects to /proc/self/fd/N (so the path may be
longer than sockaddr_un allows), then reads packets until EOF. Each packet
must start with a stream byte (1 stdin, 2 stdout, 3 stderr) followed by at
most 8192 bytes of data; the packets are read with a 64 KiB buffer and
MSG_TRUNC so that an oversized packet is seen at its real size.

  --ready FILE      create FILE once connected (a test waits for it before
                    starting the container, so no output is missed)
  --out PREFIX      write PREFIX.stdout and PREFIX.stderr (the raw streams)
                    and PREFIX.json (the summary below); default: summary on
                    stdout only
  --timeout S       give up waiting for EOF after S seconds (default 20)
  --send DATA       send DATA (one packet) after connecting
  --shutdown-write  shut down the write side after connecting (and sending)

Summary (JSON): {"eof": bool, "packets": N, "max_len": N, "sizes": [...],
"streams": {"2": bytes, "3": bytes, ...}, "bad_prefix": N,
"stdout": "...", "stderr": "..."}
Exit status 0 when EOF arrived and every packet was well formed, 1 otherwise.
"""
import argparse
import json
import os
import select
import socket
import sys
import time

MAX_PACKET = 8193  # one stream byte + 8192 data bytes (podman's buffer)


def connect(path):
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
        s.connect("/proc/self/fd/%d" % fd)
    finally:
        os.close(fd)
    return s


def main():
    p = argparse.ArgumentParser(prog="attach_client.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("socket")
    p.add_argument("--out")
    p.add_argument("--ready")
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--send")
    p.add_argument("--shutdown-write", action="store_true")
    opts = p.parse_args()

    s = connect(opts.socket)
    if opts.send is not None:
        s.send(opts.send.encode())
    if opts.shutdown_write:
        s.shutdown(socket.SHUT_WR)
    if opts.ready:
        with open(opts.ready, "w"):
            pass

    deadline = time.monotonic() + opts.timeout
    streams = {}
    sizes = []
    bad_prefix = 0
    eof = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            break
        try:
            data, _, flags, _ = s.recvmsg(65536, 0, socket.MSG_TRUNC)
        except ConnectionResetError:
            eof = True
            break
        if not data and not flags & socket.MSG_TRUNC:
            eof = True
            break
        size = len(data)
        if flags & socket.MSG_TRUNC:
            size = 65537  # larger than our buffer: surely too large
        sizes.append(size)
        if data[:1] not in (b"\x01", b"\x02", b"\x03"):
            bad_prefix += 1
            continue
        streams.setdefault(data[0], bytearray()).extend(data[1:])
    s.close()

    summary = {
        "eof": eof,
        "packets": len(sizes),
        "max_len": max(sizes, default=0),
        "sizes": sizes,
        "streams": {str(k): len(v) for k, v in streams.items()},
        "bad_prefix": bad_prefix,
        "stdout": bytes(streams.get(2, b"")).decode("utf-8", "replace"),
        "stderr": bytes(streams.get(3, b"")).decode("utf-8", "replace"),
    }
    text = json.dumps(summary)
    if opts.out:
        for num, name in ((2, "stdout"), (3, "stderr")):
            with open("%s.%s" % (opts.out, name), "wb") as f:
                f.write(bytes(streams.get(num, b"")))
        with open(opts.out + ".json.tmp", "w") as f:
            f.write(text + "\n")
        os.rename(opts.out + ".json.tmp", opts.out + ".json")
    else:
        print(text)
    ok = eof and bad_prefix == 0 and all(n <= MAX_PACKET for n in sizes)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
