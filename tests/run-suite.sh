#!/bin/bash
# The whole suite: a -Werror build and 'make check' (unit and namespace
# tests, counted check by check through TAP), the fuzz harness for a bounded
# time, and 'make distcheck'. Ends with one line "N passed, N failed".
set -u
cd "$(dirname "$(readlink -f "$0")")/.."
top=$PWD
passed=0
failed=0

count_make_check() {
	local log=$1 p f x e
	p=$(sed -n 's/^# PASS: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^# FAIL: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	x=$(sed -n 's/^# XPASS: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	e=$(sed -n 's/^# ERROR: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	if [ -z "$p" ]; then
		echo "no test summary in $log" >&2
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + p))
	failed=$((failed + ${f:-0} + ${x:-0} + ${e:-0}))
}

step() {
	local name=$1; shift
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1))
		echo "ok: $name"
	else
		failed=$((failed + 1))
		echo "FAILED: $name"
	fi
}

[ -x configure ] || ./autogen.sh >/dev/null 2>&1 || { echo "autogen.sh failed"; echo "0 passed, 1 failed"; exit 1; }

echo "=== build (-Werror) and make check"
rm -rf build
mkdir -p build
if (cd build && ../configure -q --enable-werror && make -s -j"$(nproc)"); then
	(cd build && make -s check) 2>&1 | tee build/check.out
	count_make_check build/check.out
	for f in build/tests/unit/*.log build/tests/netns/*.log; do
		[ -f "$f" ] || continue
		grep -q '^not ok\|^Bail out' "$f" && { echo "--- $f"; grep -B2 -A8 '^not ok\|^Bail out' "$f" | head -60; }
	done
else
	echo "FAILED: build"
	failed=$((failed + 1))
fi

fuzz() {
	rm -rf build-fuzz
	mkdir -p build-fuzz
	(cd build-fuzz && ../configure -q CC=clang --enable-fuzzing --enable-werror &&
		make -s -j"$(nproc)" tests/fuzz/fuzz_msg tests/fuzz/fuzz_pkt tests/fuzz/fuzz_conf \
			tests/fuzz/fuzz_user tests/fuzz/fuzz_pem) || return 1
	bash tests/fuzz/run.sh build-fuzz "${CKQ_FUZZ_SECONDS:-60}"
}
step "five fuzz harnesses, ${CKQ_FUZZ_SECONDS:-60} s each" fuzz

distcheck() {
	(cd build && make -s distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror) >build/distcheck.out 2>&1
	local rc=$?
	tail -5 build/distcheck.out
	return $rc
}
step "make distcheck" distcheck

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
