#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs every libFuzzer harness for a bounded time and says which failed.
#
#   tests/fuzz/run.sh BUILD [SECONDS]
#
# BUILD is the top of a build tree configured with
#   ../configure CC=clang --enable-fuzzing
# in which the harnesses were made (make tests/fuzz/fuzz_msg ...): the
# binaries are BUILD/tests/fuzz/fuzz_NAME. This script builds nothing.
# SECONDS (default 60) is the time given to each harness.
#
# Each harness starts from a scratch copy of tests/fuzz/corpus/NAME, since
# libFuzzer writes what it finds into its first corpus directory. One line per
# harness, "fuzz NAME: N execs, OK" or "... FAILED"; a missing binary, a
# crash, a leak, a sanitizer report or a timeout is a failure, and the
# libFuzzer log and crashing inputs are then kept in a directory named on
# stderr. Exits 0 only when every harness passed.
set -u

harnesses="msg pkt conf user pem stats sshkey msg2"

usage() {
	echo "usage: $0 BUILD [SECONDS]  (BUILD: the build tree, holding tests/fuzz/fuzz_*)" >&2
	exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	usage
fi
build=$1
secs=${2:-60}
[[ $secs =~ ^[1-9][0-9]{0,5}$ ]] || usage
[ -d "$build" ] || { echo "$0: $build: no such directory" >&2; exit 2; }
bindir=$build/tests/fuzz
[ ! -d "$bindir" ] && [ -e "$build/fuzz_msg" ] &&
	echo "$0: $build holds the binaries: give the top of the build tree" >&2
corpora=$(dirname "$(readlink -f "$0")")/corpus

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ckq-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT

# UBSan only reports and goes on unless told to stop, and then libFuzzer
# would not see the failure.
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1

# Keeps the log and the inputs libFuzzer saved from a failed run.
keep() {
	local name=$1 dir

	dir=$(mktemp -d "${TMPDIR:-/tmp}/ckq-fuzz-$name.XXXXXX") || return
	cp "$scratch/$name.log" "$dir/" 2>/dev/null
	cp "$scratch/$name.out"/* "$dir/" 2>/dev/null
	echo "fuzz $name: log and crashing inputs kept in $dir" >&2
}

failed=0
for name in $harnesses; do
	bin=$bindir/fuzz_$name
	log=$scratch/$name.log
	if [ ! -x "$bin" ] || [ ! -f "$bin" ]; then
		echo "fuzz $name: 0 execs, FAILED (no $bin)"
		failed=1
		continue
	fi
	if [ ! -d "$corpora/$name" ]; then
		echo "fuzz $name: 0 execs, FAILED (no $corpora/$name)"
		failed=1
		continue
	fi
	mkdir "$scratch/$name" "$scratch/$name.out"
	cp -- "$corpora/$name"/* "$scratch/$name/"

	# setsid: without a controlling terminal, nothing can wait on a prompt.
	# timeout: libFuzzer stops itself, this only bounds a wedged run.
	timeout -k 10 $((secs * 2 + 60)) setsid -w "$bin" \
		-max_total_time="$secs" -print_final_stats=1 \
		-rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$scratch/$name.out/" \
		"$scratch/$name" </dev/null >"$log" 2>&1
	rc=$?

	execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ] && [ -n "$execs" ] &&
	   ! grep -qE 'runtime error:|ERROR: (Address|Leak|Undefined)Sanitizer|ERROR: libFuzzer' "$log"; then
		echo "fuzz $name: $execs execs, OK"
	else
		echo "fuzz $name: ${execs:-0} execs, FAILED (exit $rc)"
		grep -E 'check failed|ERROR:|SUMMARY:|runtime error:|asked for' "$log" | head -n 5 >&2
		keep "$name"
		failed=1
	fi
done
exit "$failed"
