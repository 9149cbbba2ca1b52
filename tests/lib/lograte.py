#!/usr/bin/env python3
"""Check a k8s-file log written under --log-rate, for tests.

usage:
  lograte.py drop LOG --rate R --burst B [--marker TEXT]
      The records of stdout before the line TEXT (the end of the flood)
      carry about B + R * (their last time - their first time) bytes of
      output: within 10%. Prints "logged=BYTES", the output bytes of every
      stdout record (the marker's too).
  lograte.py block LOG --rate R --burst B --window S
      Every line is the next integer from 1 (nothing lost, nothing twice),
      and the records of the first S seconds carry B + R * (their time span)
      bytes: within 10%. Prints "lines=N".

The times are the records' own (when the shim read the output), so a
loaded machine changes nothing as long as the container writes faster than
R. Exit 1 with the figures when a check fails.
"""
import argparse
import datetime
import sys


def parse_time(ts):
    """RFC 3339 with nanoseconds -> seconds since the epoch (float)."""
    main, rest = ts.split(".", 1)
    digits = rest[:9]
    offset = rest[9:]
    base = datetime.datetime.fromisoformat(main + offset)
    return base.timestamp() + int(digits) / 1e9


def records(path, stream="stdout"):
    """(time, content bytes incl. the newline of a full record, text)."""
    out = []
    with open(path, "rb") as f:
        for raw in f:
            line = raw.rstrip(b"\n")
            ts, st, tag, content = line.split(b" ", 3) if line.count(b" ") >= 3 else (
                *line.split(b" ", 2), b"")
            if st.decode() != stream:
                continue
            n = len(content) + (1 if tag == b"F" else 0)
            out.append((parse_time(ts.decode()), n, content, tag == b"F"))
    return out


def check(ok, msg):
    print(msg)
    if not ok:
        print("FAILED: off by more than 10%", file=sys.stderr)
        sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("drop", "block"))
    p.add_argument("log")
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--burst", type=float, required=True)
    p.add_argument("--marker")
    p.add_argument("--window", type=float, default=3.0)
    a = p.parse_args()
    recs = records(a.log)
    if not recs:
        print("no stdout records", file=sys.stderr)
        sys.exit(1)
    if a.mode == "drop":
        flood = []
        for r in recs:
            if a.marker is not None and r[2] == a.marker.encode():
                break
            flood.append(r)
        logged = sum(r[1] for r in flood)
        span = flood[-1][0] - flood[0][0]
        expected = a.burst + a.rate * span
        print(f"logged={sum(r[1] for r in recs)}")
        check(abs(logged / expected - 1) <= 0.10,
              f"flood: {logged} bytes logged in {span:.3f} s; "
              f"burst + rate * time = {expected:.0f} (ratio {logged / expected:.3f})")
        return
    # block: the lines, joined across partial records, are 1, 2, 3, ...
    text = b""
    lines = []
    for r in recs:
        text += r[2]
        if r[3]:
            lines.append(text)
            text = b""
    want = 1
    for ln in lines:
        if ln != str(want).encode():
            print(f"line {want}: got {ln[:40]!r}", file=sys.stderr)
            sys.exit(1)
        want += 1
    t0 = recs[0][0]
    win = [r for r in recs if r[0] <= t0 + a.window]
    span = win[-1][0] - t0
    got = sum(r[1] for r in win)
    expected = a.burst + a.rate * span
    print(f"lines={len(lines)}")
    check(abs(got / expected - 1) <= 0.10 and span >= a.window * 0.9,
          f"first {span:.3f} s: {got} bytes logged; burst + rate * time = {expected:.0f} "
          f"(ratio {got / expected:.3f}); rate after the burst "
          f"{(got - a.burst) / max(span, 1e-9):.0f} B/s for {a.rate:.0f}")


if __name__ == "__main__":
    main()
