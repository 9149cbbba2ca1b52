#!/usr/bin/env bats
# podman system service with tether and with conmon: the REST API's attach
# and exec, whose streams podman takes from the monitor's attach socket and
# hands on over a hijacked HTTP connection (curl on the service's Unix
# socket).

load helpers

setup_file() {
	compat_setup_file
	command -v curl >/dev/null || skip "no curl"
}
teardown_file() { compat_teardown_file; }

# service: podman system service for $MON on a socket of its own.
service() {
	SOCK=$BATS_TEST_TMPDIR/api.$MON.sock
	pod_argv
	spawn "$BATS_TEST_TMPDIR/service.$MON.log" \
		"${POD_ARGV[@]}" system service --time 0 "unix://$SOCK"
	wait_until 20 test -S "$SOCK"
}

# api METHOD PATH [JSON]: one request; prints the body.
api() {
	local args=(-sS --unix-socket "$SOCK" -X "$1")
	[ -z "${3:-}" ] || args+=(-H 'Content-Type: application/json' -d "$3")
	curl "${args[@]}" "http://podman/v1.41$2"
}

# json FIELD: a field of the JSON object on stdin (a dotted path).
json() {
	python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}

# demux FILE: a Docker raw stream (8-byte frame headers) as "STREAM: LINES"
# per stream, repeated lines once.
demux() {
	python3 - "$1" <<-'EOF'
	import sys
	data, out = open(sys.argv[1], "rb").read(), {}
	while data:
	    kind, size = data[0], int.from_bytes(data[4:8], "big")
	    out.setdefault(kind, bytearray()).extend(data[8:8 + size])
	    data = data[8 + size:]
	for kind in sorted(out):
	    lines, seen = out[kind].decode().split("\n"), []
	    for line in lines:
	        if not seen or seen[-1] != line:
	            seen.append(line)
	    print("%s: %s" % ({1: "stdout", 2: "stderr"}.get(kind, kind), "|".join(seen)))
	EOF
}

@test "API attach: a hijacked stream of both outputs until the container ends" {
	scenario() {
		service
		local body
		body=$(api POST /containers/create '{"Image": "'"$IMG"'", "HostConfig": {"NetworkMode": "none"},
			"Cmd": ["sh", "-c", "while [ ! -e /tmp/go ]; do echo tick; echo tock >&2; sleep 0.1; done; echo end; exit 6"]}')
		ID=$(echo "$body" | json Id)
		say start api POST "/containers/$ID/start"
		curl -sS --unix-socket "$SOCK" -X POST -D "$BATS_TEST_TMPDIR/head.$MON" \
			-o "$BATS_TEST_TMPDIR/stream.$MON" \
			"http://podman/v1.41/containers/$ID/attach?stream=1&stdout=1&stderr=1" &
		local a=$!
		# Attached once the stream carries output.
		wait_until 10 test -s "$BATS_TEST_TMPDIR/stream.$MON"
		pod exec "$ID" touch /tmp/go
		reap "$a"
		echo "curl: [$?] $(scrub "$(head -2 "$BATS_TEST_TMPDIR/head.$MON")")"
		demux "$BATS_TEST_TMPDIR/stream.$MON"
		say wait api POST "/containers/$ID/wait"
		say exit-code sh -c "curl -sS --unix-socket '$SOCK' http://podman/v1.41/containers/$ID/json | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"State\"][\"ExitCode\"])'"
	}
	compare_monitors
	expect <<-'EOF'
	start: [0] 
	curl: [0] HTTP/1.1 200 OK|Content-Type: application/vnd.docker.raw-stream
	stdout: tick|end|
	stderr: tock|
	wait: [0] {"StatusCode":6,"Error":null}
	exit-code: [0] 6
	EOF
}

@test "API exec: create and start, the hijacked output, the exit code; detached; on a terminal" {
	scenario() {
		service
		ID=$(pod run -d --network none "$IMG" sleep 300)
		local exec
		exec=$(api POST "/containers/$ID/exec" '{"AttachStdout": true, "AttachStderr": true,
			"Cmd": ["sh", "-c", "echo exec-out; echo exec-err >&2; exit 5"]}' | json Id)
		api POST "/exec/$exec/start" '{"Detach": false, "Tty": false}' >"$BATS_TEST_TMPDIR/exec.$MON"
		echo "start: [$?]"
		demux "$BATS_TEST_TMPDIR/exec.$MON"
		echo "exit-code: $(api GET "/exec/$exec/json" | json ExitCode)"
		exec=$(api POST "/containers/$ID/exec" '{"Cmd": ["sh", "-c", "echo detached >/tmp/d"]}' | json Id)
		say detached api POST "/exec/$exec/start" '{"Detach": true}'
		wait_until 10 eval '[ "$(pod exec "$ID" cat /tmp/d)" = detached ]' && echo "detached exec ran"
		exec=$(api POST "/containers/$ID/exec" '{"AttachStdout": true, "Tty": true,
			"Cmd": ["sh", "-c", "tty >/dev/null && echo on-a-tty; exit 3"]}' | json Id)
		say tty api POST "/exec/$exec/start" '{"Detach": false, "Tty": true}'
		echo "exit-code: $(api GET "/exec/$exec/json" | json ExitCode)"
	}
	compare_monitors
	expect <<-'EOF'
	start: [0]
	stdout: exec-out|
	stderr: exec-err|
	exit-code: 5
	detached: [0] 
	detached exec ran
	tty: [0] on-a-tty
	exit-code: 3
	EOF
}

@test "API resize of a container's terminal, and logs with follow" {
	scenario() {
		service
		local body
		body=$(api POST /containers/create '{"Image": "'"$IMG"'", "HostConfig": {"NetworkMode": "none"},
			"Tty": true, "Cmd": ["sh", "-c", "echo ready; while [ ! -e /tmp/go ]; do sleep 0.05; done; stty size; exit 3"]}')
		ID=$(echo "$body" | json Id)
		say start api POST "/containers/$ID/start"
		wait_until 10 log_has ready
		# Through the monitor's window-size FIFO.
		say resize curl -sS --unix-socket "$SOCK" -X POST -o /dev/null -w '%{http_code}' \
			"http://podman/v1.41/containers/$ID/resize?h=33&w=99"
		follow follow ready api GET "/containers/$ID/logs?follow=1&stdout=1&stderr=1"
		pod exec "$ID" touch /tmp/go
		say wait api POST "/containers/$ID/wait"
		followed follow
	}
	compare_monitors
	expect <<-'EOF'
	start: [0] 
	resize: [0] 200
	wait: [0] {"StatusCode":3,"Error":null}
	follow: [0] ready|33 99
	EOF
}
