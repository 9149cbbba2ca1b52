#!/usr/bin/env python3
"""A client for tether's control socket, for tests.

usage: control_client.py SOCKET [--timeout S] REQUEST-JSON...

Sends each request (one JSON object per line) and prints each reply on its
own line. A "subscribe" request keeps printing events until the socket
closes or the timeout passes. Exit 0 if every reply arrived.
"""
import json
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    timeout = 10.0
    if "--timeout" in args:
        i = args.index("--timeout")
        timeout = float(args[i + 1])
        del args[i:i + 2]
    path, requests = args[0], args[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(timeout)
    f = s.makefile("r")
    deadline = time.monotonic() + timeout
    for req in requests:
        s.sendall(req.encode() + b"\n")
        line = f.readline()
        if not line:
            sys.exit("control_client: no reply to %s" % req)
        sys.stdout.write(line)
        sys.stdout.flush()
        if json.loads(req).get("request") == "subscribe" if req.startswith("{") else False:
            while time.monotonic() < deadline:
                try:
                    line = f.readline()
                except socket.timeout:
                    break
                if not line:
                    break
                sys.stdout.write(line)
                sys.stdout.flush()


if __name__ == "__main__":
    main()
