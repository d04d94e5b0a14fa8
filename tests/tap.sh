# SPDX-License-Identifier: GPL-2.0-or-later
# TAP output for the test scripts that need no namespace (sourced; the
# namespace tests have tests/netns/lib.sh). ok STATUS DESCRIPTION counts a
# check as passed when STATUS is 0; $failed counts the others.
n=0
failed=0

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

# Standard input, as TAP comments.
diag() {
	local line
	while IFS= read -r line; do
		echo "# $line"
	done
}

bail() {
	echo "Bail out! $*"
	exit 1
}
