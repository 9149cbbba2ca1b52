#!/usr/bin/env python3
"""Write an OCI bundle's config.json for a busybox rootfs.

usage: mkbundle.py BUNDLE ROOTFS [--tty] [--env K=V] [--cwd DIR]
                   [--hook KIND SCRIPT] [--no-pid-ns] [--] ARGS...

--hook adds an OCI hook that runc runs on the host as `sh -c SCRIPT`
(KIND: createRuntime, which runc create waits for, or poststart, which runc
start waits for). --no-pid-ns shares the host's pid namespace, so that the
container's first process is no namespace init and can die of its own
signals.

The rootfs is shared read-only between bundles (root.path is absolute), so
making a bundle costs one small file. RLIMIT_NOFILE stays at 1024: this
machine cannot raise it above 20000.
"""
import json
import os
import sys


def spec(rootfs, args, tty, env, cwd):
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": tty,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "HOME=/root", "TERM=xterm"] + env,
            "cwd": cwd,
            "capabilities": {k: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                                 "CAP_CHOWN", "CAP_SETUID", "CAP_SETGID"]
                             for k in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": os.path.abspath(rootfs), "readonly": True},
        "hostname": "tether",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "nodev", "mode=1777"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                              "/proc/sysrq-trigger"],
        },
    }


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    bundle, rootfs, rest = argv[1], argv[2], argv[3:]
    tty, env, cwd, args, hooks, pid_ns = False, [], "/", [], {}, True
    while rest:
        a = rest.pop(0)
        if a == "--tty":
            tty = True
        elif a == "--env":
            env.append(rest.pop(0))
        elif a == "--cwd":
            cwd = rest.pop(0)
        elif a == "--hook":
            kind, script = rest.pop(0), rest.pop(0)
            hooks.setdefault(kind, []).append(
                {"path": "/bin/sh", "args": ["sh", "-c", script]})
        elif a == "--no-pid-ns":
            pid_ns = False
        elif a == "--":
            args = rest
            break
        else:
            args = [a] + rest
            break
    if not args:
        args = ["sh"]
    config = spec(rootfs, args, tty, env, cwd)
    if hooks:
        config["hooks"] = hooks
    if not pid_ns:
        config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"]
                                         if n["type"] != "pid"]
        # A signal that dumps core must not fill the disk.
        config["process"]["rlimits"].append({"type": "RLIMIT_CORE", "hard": 0, "soft": 0})
    os.makedirs(bundle, exist_ok=True)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f, indent=1)


if __name__ == "__main__":
    main(sys.argv)
