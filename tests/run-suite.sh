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

show_failures() {
	local f
	for f in "$1"/tests/*.log "$1"/tests/*/*.log; do
		[ -f "$f" ] && [ "${f##*/}" != test-suite.log ] || continue
		grep -q '^not ok\|^Bail out' "$f" && { echo "--- $f"; grep -B2 -A8 '^not ok\|^Bail out' "$f" | head -60; }
	done
}

# check_build DIR [configure flags]: a fresh build and its whole 'make check'.
check_build() {
	local dir=$1; shift
	echo "=== $dir: configure $* && make && make check"
	rm -rf "$dir"
	mkdir -p "$dir"
	if (cd "$dir" && ../configure -q "$@" && make -s -j"$(nproc)"); then
		(cd "$dir" && make -s check ${CHECK_TESTS:+TESTS="$CHECK_TESTS"}) 2>&1 | tee "$dir/check.out"
		count_make_check "$dir/check.out"
		show_failures "$dir"
	else
		echo "FAILED: build in $dir"
		failed=$((failed + 1))
	fi
}

check_build build --enable-werror
# Benchmarks are not tests: this only checks that the suite runs.
step "bench/run.sh --quick (smoke: figures are not judged)" env CKQ_BUILDDIR="$top/build" \
	CKQ_BENCH_RESULTS="$top/build/bench-results.json" bash "$top/bench/run.sh" --quick
# The whole suite again with ASan and UBSan: any report fails its test.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	check_build build-asan --enable-werror --enable-sanitizers

# ThreadSanitizer on the unit tests and the test that runs two queue
# workers against each other (a few minutes): any race fails it.
TSAN_OPTIONS=halt_on_error=0:exitcode=66 \
CHECK_TESTS="tests/unit/test_buf tests/unit/test_totp tests/unit/test_replay tests/unit/test_crypto \
tests/unit/test_crypto25519 tests/unit/test_sshkey tests/unit/test_suite2 tests/unit/test_proto2 tests/unit/test_agent \
tests/unit/test_proto tests/unit/test_pkt tests/unit/test_conf tests/unit/test_pending \
tests/unit/test_srclimit tests/unit/test_web tests/unit/test_stats tests/unit/test_nftrules \
tests/unit/test_otpguard tests/unit/test_holdtab tests/netns/queues.sh" \
	check_build build-tsan --enable-werror --enable-tsan

# The daemon's path under valgrind: the end-to-end story with ckqd wrapped.
valgrind_e2e() {
	if [ ! -x build/ckqd ]; then
		echo "FAILED: no build/ckqd for the valgrind run"
		failed=$((failed + 1))
		return
	fi
	(cd build && CKQD_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
		make -s check TESTS=tests/netns/e2e.sh) 2>&1 | tee build/valgrind.out
	count_make_check build/valgrind.out
	show_failures build
}
echo "=== valgrind: e2e.sh with ckqd under valgrind"
valgrind_e2e

fuzz() {
	rm -rf build-fuzz
	mkdir -p build-fuzz
	(cd build-fuzz && ../configure -q CC=clang --enable-fuzzing --enable-werror &&
		make -s -j"$(nproc)" tests/fuzz/fuzz_msg tests/fuzz/fuzz_pkt tests/fuzz/fuzz_conf \
			tests/fuzz/fuzz_user tests/fuzz/fuzz_pem tests/fuzz/fuzz_stats \
			tests/fuzz/fuzz_sshkey tests/fuzz/fuzz_msg2) || return 1
	bash tests/fuzz/run.sh build-fuzz "${CKQ_FUZZ_SECONDS:-60}"
}
step "eight fuzz harnesses, ${CKQ_FUZZ_SECONDS:-60} s each" fuzz

# distcheck proves the tarball: that it builds, installs and uninstalls
# cleanly, and that its tests run from it. The namespace suite already ran
# twice above (main build and ASan), so from the tarball only the unit
# tests, one end-to-end knock and the documentation checks run: a third
# run of every namespace test would cost ten minutes and prove nothing new.
distcheck() {
	local t
	t="$(cd "$top" && ls tests/unit/test_*.c | sed 's/\.c$//' | tr '\n' ' ')tests/netns/e2e.sh tests/docs.sh"
	(cd build && make -s distcheck DISTCHECK_CONFIGURE_FLAGS='--enable-werror --disable-nft-tests' \
		TESTS="$t") >build/distcheck.out 2>&1
	local rc=$?
	tail -5 build/distcheck.out
	return $rc
}
step "make distcheck" distcheck
# tap_run NAME script: a TAP script run outside make check, counted check by check.
tap_run() {
	local name=$1 out p f rc
	shift
	echo "=== $name"
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p))
	failed=$((failed + f))
	rm -f "$out"
}
tap_run "debian packages (dpkg-buildpackage, install, --version)" bash tests/pkg.sh

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
