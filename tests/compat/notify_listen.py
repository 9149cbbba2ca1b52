#!/usr/bin/env python3
"""notify_listen.py SOCKET OUT: bind a datagram socket at SOCKET (as
systemd's NOTIFY_SOCKET) and append each datagram received to OUT, one a
line, newlines inside it written as a literal backslash-n. Runs until
killed."""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)
with open(out, "ab", buffering=0) as f:
    f.write(b"")
    while True:
        data = s.recv(65536)
        f.write(data.replace(b"\n", b"\\n") + b"\n")
