#!/bin/bash
# tests/run.sh: run cmocka unit-test binaries and bats files, one after the
# other, and end with exactly one line "N passed, N failed, N skipped".
#
# usage: tests/run.sh [UNIT-TEST-BINARY | FILE.bats]...
#
# Environment (the Makefile sets the first four):
#   TETHER          the shim under test (build/tether)
#   TETHERCTL       the controller (build/tetherctl)
#   TETHER_BUILD    the build directory (sanitizer reports go to $TETHER_BUILD/asan)
#   TETHER_SANITIZE non-empty for a sanitizer build: reports count as failures
#   TEST_MONITORS   which monitors run the NN-shim-*.bats files: "tether conmon"
#                   (default; conmon only if /usr/bin/conmon exists), or one
#   CONMON          conmon's path (default /usr/bin/conmon)
#   TEST_FILE_TIMEOUT  seconds one file may take before it is killed (600)
#   TEST_VERBOSE=1  print every test line, not only failures and skips
#
# NN-shim-*.bats files are monitor tests: each runs with MONITOR=$TETHER
# MONITOR_NAME=tether and again with MONITOR=$CONMON MONITOR_NAME=conmon, and
# every result line says which. A missing $TETHER fails (never skips) the
# tether runs. Exit status: 1 if anything failed or nothing ran.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${TETHER_BUILD:-$repo/build}
export TETHER=${TETHER:-$build/tether}
export TETHERCTL=${TETHERCTL:-$build/tetherctl}
export TETHER_BUILD=$build
conmon=${CONMON:-/usr/bin/conmon}
monitors=${TEST_MONITORS:-tether conmon}
file_timeout=${TEST_FILE_TIMEOUT:-600}
verbose=${TEST_VERBOSE:-}

passed=0 failed=0 skipped=0
failures=() # one line per failed test, repeated at the end

if [ -t 1 ]; then
	red=$'\e[31m' green=$'\e[32m' yellow=$'\e[33m' bold=$'\e[1m' off=$'\e[0m'
else
	red='' green='' yellow='' bold='' off=''
fi

# --- sanitizers -------------------------------------------------------------

if [ -n "${TETHER_SANITIZE:-}" ]; then
	asan_dir=$build/asan
	rm -rf "$asan_dir"
	mkdir -p "$asan_dir"
	export ASAN_OPTIONS=log_path=$asan_dir/report:detect_leaks=1:abort_on_error=0
	export UBSAN_OPTIONS=print_stacktrace=1:log_path=$asan_dir/report
	# Everything runs slower: stretch the tests' bounded waits.
	export TEST_TIMEOUT_SCALE=${TEST_TIMEOUT_SCALE:-3}
fi

# --- TAP --------------------------------------------------------------------

# run_tap LABEL CMD...: run CMD, parse the TAP it prints, update the counters
# and print failures (with their diagnostics) and skips compactly.
run_tap() {
	local label=$1
	shift
	local p=0 f=0 s=0 plan='' results=0 line name in_fail=0 rc
	local start=$SECONDS out
	out=$(mktemp)
	# (braces: the shell's own "Segmentation fault" notice goes nowhere;
	# the status says it.)
	{ timeout -k 10 "$file_timeout" "$@" >"$out" 2>&1 </dev/null; } 2>/dev/null
	rc=$?
	while IFS= read -r line; do
		case $line in
		1..*)
			plan=${line#1..}
			in_fail=0
			;;
		"not ok "*)
			name=${line#not ok }
			f=$((f + 1)) results=$((results + 1)) in_fail=1
			failures+=("$label: not ok $name")
			printf '%s  %snot ok%s %s\n' "$label" "$red" "$off" "$name"
			;;
		"ok "*)
			name=${line#ok }
			results=$((results + 1)) in_fail=0
			if [[ "$line" =~ \#\ (skip|SKIP)(\ |$) ]]; then
				s=$((s + 1))
				printf '%s  %sskip%s   %s\n' "$label" "$yellow" "$off" "$name"
			else
				p=$((p + 1))
				[ -z "$verbose" ] || printf '%s  ok     %s\n' "$label" "$name"
			fi
			;;
		"Bail out!"*)
			f=$((f + 1)) in_fail=0
			failures+=("$label: $line")
			printf '%s  %s%s%s\n' "$label" "$red" "$line" "$off"
			;;
		*)
			# Diagnostics of a failed test (bats and cmocka print them
			# as "# ..." lines after "not ok"); anything else only if it
			# follows a failure.
			[ "$in_fail" -eq 1 ] && printf '%s      %s\n' "$label" "$line"
			;;
		esac
	done <"$out"
	# A crash, a timeout or a missing plan is a failure of its own.
	local why=''
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="killed after ${file_timeout}s"
	elif [ -n "$plan" ] && [ "$results" -lt "$plan" ]; then
		why="only $results of $plan tests reported (exit status $rc)"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		why="exit status $rc without a failed test"
	elif [ -z "$plan" ] && [ "$results" -eq 0 ]; then
		why="no TAP output (exit status $rc)"
	fi
	if [ -n "$why" ]; then
		f=$((f + 1))
		failures+=("$label: $why")
		printf '%s  %sFAILED%s %s; its output:\n' "$label" "$red" "$off" "$why"
		tail -n 30 "$out" | sed "s|^|$label      |"
	fi
	rm -f "$out"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	local colour=$green
	[ "$f" -eq 0 ] || colour=$red
	printf '%s%s%s: %d passed, %d failed, %d skipped (%ds)\n' \
		"$colour" "$label" "$off" "$p" "$f" "$s" $((SECONDS - start))
}

# fail_file LABEL N WHY: N failures without running anything.
fail_file() {
	failed=$((failed + $2))
	failures+=("$1: $3")
	printf '%s%s%s: %s — %d failed\n' "$red" "$1" "$off" "$3" "$2"
}

# --- the files --------------------------------------------------------------

run_unit() {
	local bin=$1 label
	label="unit $(basename "$bin")"
	if [ ! -x "$bin" ]; then
		fail_file "$label" 1 "$bin is not built"
		return
	fi
	run_tap "$label" env CMOCKA_MESSAGE_OUTPUT=TAP "$bin"
}

run_bats() {
	local file=$1 name
	name=$(basename "$file")
	if [[ ! "$name" =~ ^[0-9][0-9]-shim-.*\.bats$ ]]; then
		run_tap "$name" bats --tap "$file"
		return
	fi
	local mon path
	for mon in $monitors; do
		case $mon in
		tether) path=$TETHER ;;
		conmon)
			path=$conmon
			if [ ! -x "$path" ]; then
				[ -n "${TEST_MONITORS:-}" ] || continue # optional by default
				fail_file "[conmon] $name" 1 "$path is not installed"
				continue
			fi
			;;
		*)
			fail_file "[$mon] $name" 1 "unknown monitor '$mon' in TEST_MONITORS"
			continue
			;;
		esac
		if [ ! -x "$path" ]; then
			fail_file "[$mon] $name" "$(bats --count "$file" 2>/dev/null || echo 1)" \
				"$path is not built, so every case fails"
			continue
		fi
		MONITOR=$path MONITOR_NAME=$mon run_tap "[$mon] $name" bats --tap "$file"
	done
}

if [ $# -eq 0 ]; then
	echo "usage: tests/run.sh [UNIT-TEST-BINARY | FILE.bats]..." >&2
fi

# The shared rootfs, once, before any bats file needs it.
for arg in "$@"; do
	if [[ "$arg" == *.bats ]]; then
		"$repo/tests/lib/mkrootfs.sh" "$repo/build/rootfs" ||
			fail_file "rootfs" 1 "tests/lib/mkrootfs.sh failed"
		break
	fi
done

for arg in "$@"; do
	case $arg in
	*.bats) run_bats "$arg" ;;
	*) run_unit "$arg" ;;
	esac
done

# --- sanitizer reports --------------------------------------------------------

if [ -n "${TETHER_SANITIZE:-}" ]; then
	for report in "$asan_dir"/report*; do
		[ -e "$report" ] || continue
		failed=$((failed + 1))
		failures+=("sanitizer: $(basename "$report")")
		printf '%ssanitizer report %s:%s\n' "$red" "$report" "$off"
		head -n 80 "$report" | sed 's/^/    /'
	done
fi

if [ ${#failures[@]} -gt 0 ]; then
	printf '\n%sFailed:%s\n' "$bold" "$off"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ $((passed + failed)) -gt 0 ]
