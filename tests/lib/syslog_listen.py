#!/usr/bin/env python3
"""A syslog socket for tests (no syslog daemon runs here).

usage: syslog_listen.py SOCKET OUT

Binds a datagram socket at SOCKET (as /dev/log is) and appends each
datagram it receives to OUT as one JSON string per line, flushed at once,
until killed. Creates SOCKET.ready once it is bound.
"""
import json
import os
import socket
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    with open(path + ".ready", "w"):
        pass
    with open(out, "a") as f:
        while True:
            data = s.recv(1 << 17)
            f.write(json.dumps(data.decode("utf-8", "surrogateescape")) + "\n")
            f.flush()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        os._exit(0)
