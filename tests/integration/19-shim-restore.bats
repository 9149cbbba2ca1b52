#!/usr/bin/env bats
# --restore (conmon-spec §2.17): the runtime's restore instead of create,
# then everything as for create. Against tether and conmon.

load ../lib/monitor

setup() {
	monitor_setup
}

teardown() {
	monitor_teardown
}

@test "--restore: a real checkpoint, restored under the monitor, goes on counting" {
	local why
	why=$(criu check 2>&1 | grep -m1 Error) && skip "criu cannot run on this kernel: $why"
	make_test_bundle -- sh -c 'i=0; while :; do i=$((i+1)); echo "n $i"; sleep 0.1; done'
	monitor_create
	runtime_start
	wait_for "log_stream stdout | grep -q 'n 5'" 10
	"$RUNC_BIN" --root "$T/runc" checkpoint --image-path "$T/ckpt" "$CID"
	wait_exit_file 10
	: >"$T/ctr.log"
	rm -f "$T/exits/$CID"
	monitor_create --restore "$T/ckpt"
	wait_for "log_stream stdout | grep -q 'n '" 10
	# It resumed where it was, not from 1.
	not log_stream stdout | grep -qx "n 1"
}

# Mocked, because criu cannot run here: a runtime wrapper records the
# command line tether builds for restore, and stands in for CRIU with a real
# runc create of the same bundle. Everything around it is real.
@test "--restore: the runtime gets conmon's restore command line; sync, start and exit as for create" {
	make_test_bundle -- sh -c 'echo restored; exit 3'
	cat >"$T/restore-runtime" <<-SH
	#!/bin/sh
	echo "\$*" >"$T/runtime.argv"
	# restore --bundle B --pid-file P --detach --image-path I --work-path B [opts] ID
	eval "last=\\\${\$#}"
	exec "$RUNC_BIN" --root "$T/runc" create --bundle "$T/bundle" --pid-file "$T/pidfile" "\$last"
	SH
	chmod +x "$T/restore-runtime"
	mkdir -p "$T/ckpt"
	RUNC=$T/restore-runtime monitor_create --restore "$T/ckpt" --runtime-opt --tcp-established
	[ "$(cat "$T/runtime.argv")" = "--root=$T/runc restore --bundle $T/bundle --pid-file $T/pidfile --detach --image-path $T/ckpt --work-path $T/bundle --tcp-established $CID" ]
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 3 ]
	log_stream stdout | grep -qx restored
}
