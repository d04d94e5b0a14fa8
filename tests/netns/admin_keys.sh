#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The keys ckq-admin add-user takes (doc/protocol.md 11.1), from the files
# users really have: an OpenSSH ssh-ed25519 line from ssh-keygen -t
# ed25519, a PEM Ed25519 key from openssl genpkey, a line of authorized_keys
# with options, an sk-ssh-ed25519@openssh.com line, beside the RSA PEM key
# of ckq keygen. Each prints its type and the fingerprint ssh-keygen -lf
# gives, and is stored as its OpenSSH line. The OpenSSH types ckq does not
# take are refused by name and write nothing. add-user --replace switches
# a user between suites, list shows every user's key type and fingerprint,
# and a running ckqd reloads them all. Prints TAP. Needs root, ssh-keygen
# and openssl; bails out (fails) when it cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require
for tool in ssh-keygen openssl; do
	command -v "$tool" >/dev/null 2>&1 || bail "$tool not found (Debian: openssh-client, openssl)"
done
netns_setup
server_init
DATA=$srcdir/tests/data/ssh
K=$TMP/keys
mkdir -p "$K"

# fp FILE: the fingerprint OpenSSH gives the key in FILE.
fp() {
	ssh-keygen -lf "$1" | awk '{ print $2 }'
}

# re STRING: STRING as an extended regular expression matching only itself
# (a fingerprint's base64 has + and /).
re() {
	sed 's/[+.]/\\&/g' <<<"$1"
}

# add NAME FILE [options]: ckq-admin add-user in the server's namespace.
add() {
	local name=$1 file=$2
	shift 2
	run in_sv "$CKQ_ADMIN" -c "$ETC" add-user "$name" --key "$file" --ports tcp/22 --no-qr "$@"
}

# registered NAME TYPE FP DESC: the last add printed NAME's key type and fingerprint.
registered() {
	is "$RUN_RC" 0 "$4: add-user exits 0"
	[ "$RUN_RC" = 0 ] || run_diag
	check "$4: it prints the type $2 and the fingerprint ssh-keygen -lf gives" \
		grep -Fqx "registered $1 ($2 key $3)" "$RUN_OUT"
}

# refused NAME FILE MESSAGE DESC: add-user refuses FILE (exit 2), saying MESSAGE, writing nothing.
refused() {
	add "$1" "$2"
	is "$RUN_RC" 2 "$4: refused (exit 2)"
	check "$4: it says why" grep -Fq "$3" "$RUN_ERR"
	check "$4: nothing written" test ! -e "$ETC/users/$1.conf" -a ! -e "$ETC/users/$1.pub"
}

# --- an OpenSSH ssh-ed25519 line, as ssh-keygen writes id_ed25519.pub ---
ssh-keygen -q -t ed25519 -N '' -C 'alice@laptop' -f "$K/alice" || bail "ssh-keygen failed"
add alice "$K/alice.pub"
registered alice ssh-ed25519 "$(fp "$K/alice.pub")" "an ssh-ed25519 line"
check "users/alice.pub is her id_ed25519.pub byte for byte (the comment kept)" \
	cmp "$K/alice.pub" "$ETC/users/alice.pub"
check "users/alice.pub is root's, in ckqd's user's group, mode 0644" \
	test "$(stat -c %U:%G:%a "$ETC/users/alice.pub")" = "root:$(id -gn nobody):644"

# --- a PEM Ed25519 key, as openssl writes it ---
openssl genpkey -algorithm ed25519 -out "$K/pem.key" 2>/dev/null || bail "openssl genpkey failed"
openssl pkey -in "$K/pem.key" -pubout -out "$K/pem.pub" || bail "openssl pkey failed"
add pem "$K/pem.pub"
check "users/pem.pub is one ssh-ed25519 line without a comment" \
	grep -Eqx 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}' "$ETC/users/pem.pub"
registered pem ssh-ed25519 "$(fp "$ETC/users/pem.pub")" "a PEM Ed25519 key"
# The 32 key bytes: the end of the DER SubjectPublicKeyInfo, the end of the SSH blob.
der=$(openssl pkey -pubin -in "$K/pem.pub" -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
blob=$(awk '{ print $2 }' "$ETC/users/pem.pub" | base64 -d | tail -c 32 | od -An -tx1 | tr -d ' \n')
is "$blob" "$der" "the stored line holds the PEM key's 32 bytes, read by openssl"

# --- a line of authorized_keys, options and all ---
ssh-keygen -q -t ed25519 -N '' -C 'bob@desk' -f "$K/bob" || bail "ssh-keygen failed"
printf '# bob, from the server'"'"'s authorized_keys\nfrom="10.0.0.0/8,192.0.2.1",command="echo \\"a b\\"",no-pty,no-agent-forwarding %s\n' \
	"$(cat "$K/bob.pub")" >"$K/bob.authorized_keys"
add bob "$K/bob.authorized_keys"
registered bob ssh-ed25519 "$(fp "$K/bob.pub")" "an authorized_keys line with options"
check "users/bob.pub is the key's line, the options gone, the comment kept" \
	cmp "$K/bob.pub" "$ETC/users/bob.pub"

# --- an sk-ssh-ed25519@openssh.com line (no FIDO device here: the test vector's) ---
add sk "$DATA/bob_sk_ed25519.pub"
registered sk sk-ssh-ed25519@openssh.com "$(awk '{ print $2 }' "$DATA/bob_sk_ed25519.pub.fp")" \
	"an sk-ssh-ed25519 line"
check "users/sk.pub is that line" cmp "$DATA/bob_sk_ed25519.pub" "$ETC/users/sk.pub"
is "$(fp "$ETC/users/sk.pub")" "$(awk '{ print $2 }' "$DATA/bob_sk_ed25519.pub.fp")" \
	"and ssh-keygen -lf of the stored line is the one OpenSSH made"

# --- the RSA PEM key of ckq keygen, as before ---
client_new carol
add carol "$TMP/client/carol/keys/carol.pub"
is "$RUN_RC" 0 "an RSA PEM key from ckq keygen: add-user exits 0"
check "it prints the type rsa-2048 and a fingerprint" \
	grep -Eqx 'registered carol \(rsa-2048 key SHA256:[A-Za-z0-9+/]{43}\)' "$RUN_OUT"
check "users/carol.pub is still the PEM key" cmp "$TMP/client/carol/keys/carol.pub" "$ETC/users/carol.pub"

# --- refused, by name ---
ssh-keygen -q -t rsa -b 2048 -N '' -f "$K/rsa" || bail "ssh-keygen -t rsa failed"
ssh-keygen -q -t ecdsa -N '' -f "$K/ecdsa" || bail "ssh-keygen -t ecdsa failed"
accepted="ckq takes ssh-ed25519 and sk-ssh-ed25519 keys; for RSA use the PEM key of 'ckq keygen'"
refused dora "$K/rsa.pub" "it is an OpenSSH ssh-rsa key: $accepted" "an ssh-rsa line"
refused dora "$K/ecdsa.pub" "it is an OpenSSH ecdsa-sha2-nistp256 key: $accepted" "an ecdsa line"
# The key of an sk-ecdsa line is not checked before its type is named: any bytes do.
echo "no-touch-required sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20= dora@fido" \
	>"$K/skecdsa.pub"
refused dora "$K/skecdsa.pub" "it is an OpenSSH sk-ecdsa-sha2-nistp256@openssh.com key: $accepted" \
	"an sk-ecdsa authorized_keys line"
refused dora "$K/alice" "it is a PRIVATE key" "an OpenSSH private key"
cat "$K/alice.pub" "$K/bob.pub" >"$K/two.pub"
refused dora "$K/two.pub" "it holds 2 key lines: give one key" "two key lines"
sed 's/AAAA/AAAB/' "$K/alice.pub" >"$K/damaged.pub"
refused dora "$K/damaged.pub" "its ssh-ed25519 line does not decode to a key" "a damaged ssh-ed25519 line"
sed 's/^ssh-ed25519 /sk-ssh-ed25519@openssh.com /' "$K/alice.pub" >"$K/mislabelled.pub"
refused dora "$K/mislabelled.pub" "does not decode to a key" "a line whose type is not its key's"

# --- --replace switches a user between suites ---
add carol "$K/alice.pub"
is "$RUN_RC" 1 "carol exists: a new key needs --replace (exit 1)"
add carol "$K/bob.authorized_keys" --replace
registered carol ssh-ed25519 "$(fp "$K/bob.pub")" "--replace gives carol an Ed25519 key"
check "users/carol.pub is now that line" cmp "$K/bob.pub" "$ETC/users/carol.pub"
add carol "$TMP/client/carol/keys/carol.pub" --replace
is "$RUN_RC" 0 "--replace gives her back her RSA key"
check "users/carol.pub is the PEM key again" cmp "$TMP/client/carol/keys/carol.pub" "$ETC/users/carol.pub"
carol_fp=$(sed -n 's/^registered carol (rsa-2048 key \(.*\))$/\1/p' "$RUN_OUT")

# --- the server's suite 2 key: without it, add-user warns ---
x=$ETC/server-x25519.key
[ -e "$x" ] && mv "$x" "$x.away"
add erin "$K/alice.pub"
check "without server-x25519.key an Ed25519 user is registered with a warning" \
	grep -Fq "warning: this server has no X25519 key yet" "$RUN_ERR"
if [ -e "$x.away" ]; then
	mv "$x.away" "$x"
else
	openssl genpkey -algorithm x25519 -out "$x" 2>/dev/null || bail "openssl genpkey x25519 failed"
fi
add erin "$K/alice.pub" --replace
check_fails "with it, no warning" grep -Fq "X25519" "$RUN_ERR"
add frank "$TMP/client/carol/keys/carol.pub"
check_fails "an RSA user never gets that warning" grep -Fq "X25519" "$RUN_ERR"

# --- list: one line a user, the key type a column of its own ---
service_start
start_ckqd
run in_sv "$CKQ_ADMIN" -c "$ETC" list
is "$RUN_RC" 0 "ckq-admin list exits 0"
check "its header names the columns" grep -Eqx 'USER +PORTS +TYPE +KEY +STATUS' "$RUN_OUT"
check "alice: ssh-ed25519 and her fingerprint" \
	grep -Eqx "alice +tcp/22 +ssh-ed25519 +$(re "$(fp "$K/alice.pub")") +closed" "$RUN_OUT"
check "sk: sk-ssh-ed25519@openssh.com and its fingerprint" \
	grep -Eqx "sk +tcp/22 +sk-ssh-ed25519@openssh\\.com +$(re "$(awk '{ print $2 }' "$DATA/bob_sk_ed25519.pub.fp")") +closed" "$RUN_OUT"
check "carol: rsa-2048 and the fingerprint add-user printed" \
	grep -Eqx "carol +tcp/22 +rsa-2048 +$(re "$carol_fp") +closed" "$RUN_OUT"
# Whitespace-separated fields, whatever the widths: what a script reads.
is "$(awk 'NR > 1 { print $1 ":" $3 }' "$RUN_OUT" | tr '\n' ' ')" \
	"alice:ssh-ed25519 bob:ssh-ed25519 carol:rsa-2048 erin:ssh-ed25519 frank:rsa-2048 pem:ssh-ed25519 sk:sk-ssh-ed25519@openssh.com " \
	"every user's name and key type, one field each"

# --- a running ckqd takes them all ---
log_mark
add gina "$K/bob.pub"
registered gina ssh-ed25519 "$(fp "$K/bob.pub")" "gina while ckqd runs"
check "it says ckqd reloaded" grep -Fqx "ckqd reloaded its users" "$RUN_OUT"
assert_log "reloaded 8 users from "

stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
done_testing
