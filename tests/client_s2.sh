#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The client side of suite 2 (doc/protocol.md 11), without a server:
# ckq keygen --type ed25519 (files, modes, the fingerprint ssh-keygen -lf
# shows), ckq add-server with a two-key server.pub and --ssh-key (never
# replacing another key), and ckq open's checks before it sends anything:
# no SSH_AUTH_SOCK, a key absent from a real ssh-agent, a security key the
# agent refuses to sign with, a server key file without the key the user's
# suite needs. A UDP listener on 127.0.0.1 stands for the server: it must
# get nothing in those cases, and when a knock goes out, message 1 of the
# right suite and size, with the mac1 of the stored X25519 key, each
# retransmission the same bytes (signed once). Then whole knocks against
# tests/s2_server_tool, a one-knock suite 2 server made of the library's
# server side: through the agent with a cookie round and a lost message 2,
# with a key file, close, proxy, and --keep's renewals.
#
# Needs ssh-keygen, ssh-agent, ssh-add (openssh-client), openssl and
# python3 (standard library only); no root.
set -u

builddir=${CKQ_BUILDDIR:-.}
CKQ=$builddir/ckq
. "$(dirname "$0")/tap.sh"

[ -x "$CKQ" ] || bail "no $CKQ: build first"
SERVER_TOOL=$builddir/tests/s2_server_tool
[ -x "$SERVER_TOOL" ] || bail "no $SERVER_TOOL (make check builds it)"
for p in ssh-keygen ssh-agent ssh-add openssl python3; do
	command -v "$p" >/dev/null || bail "$p is not installed (Debian: openssh-client, openssl, python3)"
done

tmp=$(mktemp -d) || bail "mktemp failed"
agent_pid=
listener_pid=
fake_pid=
server_pid=
keep_pid=
tcp_pid=
cleanup() {
	[ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	[ -n "$keep_pid" ] && kill -KILL "$keep_pid" 2>/dev/null
	[ -n "$tcp_pid" ] && kill "$tcp_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
unset SSH_AUTH_SOCK SSH_AGENT_PID CKQ_DIR
dir=$tmp/client

cat >"$tmp/tool.py" <<'EOF'
import base64, hashlib, hmac, os, socket, struct, sys, time

def listen(portfile, out, seconds):
    # Records every datagram (hex, one a line) for at most `seconds`.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    end = time.time() + seconds
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            data = s.recv(2048)
        except socket.timeout:
            break
        with open(out, "a") as f:
            f.write(data.hex() + "\n")

def sk_line(comment):
    # An sk-ssh-ed25519 public key as a FIDO token would give (any 32 bytes).
    def st(b):
        return struct.pack(">I", len(b)) + b
    blob = st(b"sk-ssh-ed25519@openssh.com") + st(os.urandom(32)) + st(b"ssh:")
    print("sk-ssh-ed25519@openssh.com %s %s" % (base64.b64encode(blob).decode(), comment))

def fake_agent(sock, pubfile, seconds):
    # Lists the key of pubfile; refuses every signature, as an agent does
    # when a security key is not touched in time.
    blob = base64.b64decode(open(pubfile).read().split()[1])
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock)
    s.listen(4)
    s.settimeout(seconds)
    end = time.time() + seconds
    while time.time() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            break
        c.settimeout(5)
        try:
            while True:
                hdr = c.recv(4, socket.MSG_WAITALL)
                if len(hdr) < 4:
                    break
                body = c.recv(struct.unpack(">I", hdr)[0], socket.MSG_WAITALL)
                if body[0] == 11:
                    ans = bytes([12]) + struct.pack(">I", 1) + struct.pack(">I", len(blob)) + \
                        blob + struct.pack(">I", 4) + b"fake"
                else:
                    with open(sock + ".signs", "a") as f:
                        f.write("sign\n")
                    ans = bytes([5])
                c.sendall(struct.pack(">I", len(ans)) + ans)
        except OSError:
            pass
        c.close()

def check_msg1(hexline, pubpem, suite, size):
    # Header, size and mac1 (HMAC-SHA-256 under SHA-256("ckq suite2 mac1" || S)).
    m = bytes.fromhex(hexline)
    if m[:3] != b"CKQ" or m[4] != suite or m[5] != 1:
        return "header %s" % m[:8].hex()
    if len(m) != size:
        return "size %d, not %d" % (len(m), size)
    if suite == 2:
        der = base64.b64decode("".join(l for l in open(pubpem).read().split("\n")
                                       if l and not l.startswith("-----")))
        key = hashlib.sha256(b"ckq suite2 mac1" + der[-32:]).digest()
        if not hmac.compare_digest(hmac.new(key, m[:-16], hashlib.sha256).digest()[:16], m[-16:]):
            return "mac1 not under the stored X25519 key"
    return "ok"

def tcp_banner(portfile, seconds):
    # Accepts one connection, sends a line, echoes one line back, closes.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    s.settimeout(seconds)
    try:
        c, _ = s.accept()
    except socket.timeout:
        return
    c.settimeout(seconds)
    c.sendall(b"banner\n")
    data = b""
    try:
        while not data.endswith(b"\n"):
            chunk = c.recv(100)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    c.sendall(b"echo " + data)
    c.close()

cmd = sys.argv[1]
if cmd == "listen":
    listen(sys.argv[2], sys.argv[3], float(sys.argv[4]))
elif cmd == "sk-line":
    sk_line(sys.argv[2])
elif cmd == "fake-agent":
    fake_agent(sys.argv[2], sys.argv[3], float(sys.argv[4]))
elif cmd == "tcp-banner":
    tcp_banner(sys.argv[2], float(sys.argv[3]))
elif cmd == "check-msg1":
    print(check_msg1(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
EOF

# The server's keys, as ckq-admin init writes server.pub: RSA, then X25519.
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out "$tmp/rsa.key" 2>/dev/null &&
	openssl pkey -in "$tmp/rsa.key" -pubout -out "$tmp/rsa.pub" &&
	openssl genpkey -algorithm x25519 -out "$tmp/x.key" &&
	openssl pkey -in "$tmp/x.key" -pubout -out "$tmp/x.pub" ||
	bail "openssl cannot make the server's keys"
cat "$tmp/rsa.pub" "$tmp/x.pub" >"$tmp/server.pub"
x_fp=SHA256:$(openssl pkey -pubin -in "$tmp/x.pub" -outform DER | openssl dgst -sha256 -binary |
	base64 | tr -d '=')
rsa_fp=SHA256:$(openssl pkey -pubin -in "$tmp/rsa.pub" -outform DER | openssl dgst -sha256 -binary |
	base64 | tr -d '=')

# --- keygen --type ed25519
out=$("$CKQ" keygen alice --type ed25519 -d "$dir" 2>&1)
ok $? "ckq keygen alice --type ed25519 exits 0"
echo "$out" | diag
ok "$([ "$(stat -c %a "$dir/keys/alice.key")" = 600 ] && echo 0 || echo 1)" "keys/alice.key has mode 0600"
ok "$([ "$(stat -c %a "$dir/keys/alice.pub")" = 644 ] && echo 0 || echo 1)" "keys/alice.pub has mode 0644"
head -1 "$dir/keys/alice.key" | grep -qx -- '-----BEGIN PRIVATE KEY-----' &&
	openssl pkey -in "$dir/keys/alice.key" -noout -text 2>/dev/null | grep -q '^ED25519 Private-Key'
ok $? "keys/alice.key is an Ed25519 key in PKCS#8 PEM"
grep -Eqx 'ssh-ed25519 AAAA[A-Za-z0-9+/]+=* alice@ckq' "$dir/keys/alice.pub" &&
	[ "$(wc -l <"$dir/keys/alice.pub")" = 1 ]
ok $? "keys/alice.pub is one OpenSSH line (got: $(cat "$dir/keys/alice.pub"))"
fp=$(ssh-keygen -lf "$dir/keys/alice.pub" | awk '{print $2}')
grep -qF -- "$fp" <<<"$out" && [[ $fp == SHA256:* ]]
ok $? "the fingerprint printed is ssh-keygen -lf's ($fp)"
pub_from_key=$(openssl pkey -in "$dir/keys/alice.key" -pubout -outform DER | tail -c 32 | base64)
pub_from_line=$(awk '{print $2}' "$dir/keys/alice.pub" | base64 -d | tail -c 32 | base64)
[ -n "$pub_from_key" ] && [ "$pub_from_key" = "$pub_from_line" ]
ok $? "keys/alice.pub holds the public key of keys/alice.key"
grep -q "ckq-admin add-user alice --key alice.pub" <<<"$out"
ok $? "it says what to send the admin"
"$CKQ" keygen bad --type dsa -d "$dir" >/dev/null 2>&1
ok "$([ $? = 2 ] && echo 0 || echo 1)" "--type dsa is refused (exit 2)"
"$CKQ" keygen bad --type ed25519 --bits 4096 -d "$dir" >/dev/null 2>&1
ok "$([ $? = 2 ] && [ ! -e "$dir/keys/bad.key" ] && echo 0 || echo 1)" "--bits with --type ed25519 is refused (exit 2)"
"$CKQ" keygen dave --type rsa -d "$dir" >/dev/null 2>&1 &&
	head -1 "$dir/keys/dave.pub" | grep -qx -- '-----BEGIN PUBLIC KEY-----'
ok $? "--type rsa makes an RSA pair as before"

# --- add-server with server.pub's two keys
port_file=$tmp/port
python3 "$tmp/tool.py" listen "$port_file" "$tmp/got" 120 &
listener_pid=$!
for _ in $(seq 50); do [ -s "$port_file" ] && break; sleep 0.1; done
[ -s "$port_file" ] || bail "the UDP listener did not start"
port=$(cat "$port_file")
got() { [ -f "$tmp/got" ] && wc -l <"$tmp/got" || echo 0; }

out=$("$CKQ" add-server office 127.0.0.1 --key "$tmp/server.pub" --user alice --knock-port "$port" \
	-d "$dir" 2>&1)
ok $? "ckq add-server with a two-key server.pub exits 0"
echo "$out" | diag
grep -qF "$rsa_fp (RSA" <<<"$out" && grep -qF "$x_fp (X25519" <<<"$out"
ok $? "it prints both server key fingerprints (RSA $rsa_fp, X25519 $x_fp)"
cmp -s "$tmp/server.pub" "$dir/servers/office.pub"
ok $? "servers/office.pub is the file as given"
"$CKQ" add-server xonly 127.0.0.1 --key "$tmp/x.pub" --knock-port "$port" -d "$dir" >/dev/null 2>&1 &&
	"$CKQ" add-server rsaonly 127.0.0.1 --key "$tmp/rsa.pub" --knock-port "$port" -d "$dir" \
		>/dev/null 2>&1
ok $? "a server.pub with one key of either kind is accepted"
printf 'not a key\n' >"$tmp/junk.pub"
cat "$tmp/x.pub" "$tmp/x.pub" >"$tmp/twox.pub"
"$CKQ" add-server j 127.0.0.1 --key "$tmp/junk.pub" -d "$dir" >/dev/null 2>&1
r1=$?
"$CKQ" add-server j 127.0.0.1 --key "$tmp/twox.pub" -d "$dir" >/dev/null 2>&1
r2=$?
ok "$([ $r1 = 2 ] && [ $r2 = 2 ] && [ ! -e "$dir/servers/j.pub" ] && echo 0 || echo 1)" \
	"a file that is no key, or two X25519 keys, is refused (exit 2)"

# --- add-server --ssh-key
ssh-keygen -q -t ed25519 -N '' -C bob@laptop -f "$tmp/id_bob" || bail "ssh-keygen failed"
ssh-keygen -q -t ed25519 -N '' -C other@laptop -f "$tmp/id_other" || bail "ssh-keygen failed"
out=$("$CKQ" add-server office2 127.0.0.1 --key "$tmp/server.pub" --user bob --knock-port "$port" \
	--ssh-key "$tmp/id_bob.pub" -d "$dir" 2>&1)
ok $? "add-server --ssh-key id_bob.pub exits 0"
echo "$out" | diag
cmp -s "$tmp/id_bob.pub" "$dir/keys/bob.pub"
ok $? "keys/bob.pub is the OpenSSH line as ssh-keygen wrote it"
bob_fp=$(ssh-keygen -lf "$tmp/id_bob.pub" | awk '{print $2}')
grep -qF "$bob_fp (ssh-ed25519)" <<<"$out"
ok $? "it prints the key's fingerprint ($bob_fp)"
[ ! -e "$dir/keys/bob.key" ]
ok $? "no private key is written"
"$CKQ" add-server office2 127.0.0.1 --key "$tmp/server.pub" --user bob --knock-port "$port" \
	--ssh-key "$tmp/id_bob.pub" -d "$dir" >/dev/null 2>&1
ok $? "the same key again is fine"
cp "$dir/keys/bob.pub" "$tmp/bob.before"
out=$("$CKQ" add-server office2 127.0.0.1 --key "$tmp/server.pub" --user bob \
	--ssh-key "$tmp/id_other.pub" -d "$dir" 2>&1)
r=$?
echo "$out" | diag
[ $r = 2 ] && cmp -s "$tmp/bob.before" "$dir/keys/bob.pub" && grep -q "already holds another key" <<<"$out" &&
	grep -qF "$bob_fp" <<<"$out"
ok $? "a different key for bob is refused (exit 2), keys/bob.pub unchanged"
"$CKQ" add-server office2 127.0.0.1 --key "$tmp/server.pub" --user alice \
	--ssh-key "$tmp/id_other.pub" -d "$dir" >/dev/null 2>&1
r1=$?
"$CKQ" add-server office2 127.0.0.1 --key "$tmp/server.pub" --user dave \
	--ssh-key "$tmp/id_other.pub" -d "$dir" >/dev/null 2>&1
r2=$?
ok "$([ $r1 = 2 ] && [ $r2 = 2 ] && echo 0 || echo 1)" \
	"nor does it replace alice's Ed25519 key or dave's RSA key (exit 2)"
"$CKQ" add-server office2 127.0.0.1 --key "$tmp/server.pub" --ssh-key "$tmp/id_other.pub" \
	-d "$dir" >/dev/null 2>&1
ok "$([ $? = 2 ] && echo 0 || echo 1)" "--ssh-key without --user is refused (exit 2)"
# An authorized_keys line with options is a form sshkey_load reads.
printf '# keys\nfrom="10.0.0.0/8",no-pty %s\n' "$(cat "$tmp/id_other.pub")" >"$tmp/authorized"
"$CKQ" add-server office4 127.0.0.1 --key "$tmp/server.pub" --user erin \
	--ssh-key "$tmp/authorized" -d "$dir" >/dev/null 2>&1 &&
	cmp -s "$tmp/id_other.pub" "$dir/keys/erin.pub"
ok $? "an authorized_keys line with options is stored as the bare OpenSSH line"

# --- ckq open: nothing sent when the knock could not be signed
knock() {	# user server [options]: runs ckq open, sets $r and $out
	local user=$1 server=$2
	shift 2
	out=$(timeout 60 "$CKQ" open "$server" 22 --user "$user" --otp 123456 --attempts 3 \
		--timeout 200 -d "$dir" "$@" 2>&1)
	r=$?
	echo "$out" | diag
}
before=$(got)
knock bob office
[ $r = 2 ] && grep -q "SSH_AUTH_SOCK is not" <<<"$out" &&
	grep -q "start ssh-agent and ssh-add your key, or give the key file" <<<"$out"
ok $? "bob without SSH_AUTH_SOCK: exit 2, says to start ssh-agent and ssh-add the key"
SSH_AUTH_SOCK=$tmp/nothing-here knock bob office
[ $r = 2 ] && grep -q "cannot reach the ssh-agent" <<<"$out"
ok $? "an agent socket that does not exist: exit 2, says the agent cannot be reached"

eval "$(ssh-agent -s)" >/dev/null || bail "ssh-agent does not start"
agent_pid=$SSH_AGENT_PID
ssh-add -q "$tmp/id_other" 2>/dev/null || bail "ssh-add failed"
knock bob office
[ $r = 2 ] && grep -q "does not hold bob's key" <<<"$out" && grep -q "ssh-add" <<<"$out" &&
	grep -qF "$bob_fp" <<<"$out"
ok $? "bob's key not in the agent: exit 2, says to ssh-add it and names $bob_fp"
knock alice office --agent
[ $r = 2 ] && grep -q "does not hold alice's key" <<<"$out"
ok $? "--agent uses the agent even though keys/alice.key exists"
knock bob rsaonly
[ $r = 2 ] && grep -q "the server's key file has no X25519 key: ask the admin for the server.pub of 'ckq-admin init'" <<<"$out"
ok $? "an ssh key and a server.pub without X25519: exit 2, says to ask for the new server.pub"
knock dave xonly
[ $r = 2 ] && grep -q "has no RSA key" <<<"$out"
ok $? "an RSA key and a server.pub without RSA: exit 2"
knock dave office --agent
[ $r = 2 ] && grep -q -- "--agent signs with an ssh key" <<<"$out"
ok $? "--agent with an RSA key: exit 2"
chmod 644 "$dir/keys/alice.key"
knock alice office
[ $r = 2 ] && grep -q "alice.key" <<<"$out"
ok $? "a world-readable keys/alice.key is refused (exit 2)"
chmod 600 "$dir/keys/alice.key"

# A security key behind an agent that never gets its touch.
python3 "$tmp/tool.py" sk-line carol@token >"$tmp/carol_sk.pub" || bail "no sk line"
carol_fp=$(ssh-keygen -lf "$tmp/carol_sk.pub" | awk '{print $2}')
"$CKQ" add-server office3 127.0.0.1 --key "$tmp/server.pub" --user carol --knock-port "$port" \
	--ssh-key "$tmp/carol_sk.pub" -d "$dir" >/dev/null 2>&1
ok $? "add-server --ssh-key takes an sk-ssh-ed25519 key"
python3 "$tmp/tool.py" fake-agent "$tmp/fake.sock" "$tmp/carol_sk.pub" 60 &
fake_pid=$!
for _ in $(seq 50); do [ -S "$tmp/fake.sock" ] && break; sleep 0.1; done
SSH_AUTH_SOCK=$tmp/fake.sock knock carol office3
[ $r = 1 ] && grep -qF "touch your security key (carol's key $carol_fp)" <<<"$out" &&
	grep -q "not touched in time" <<<"$out" && [ "$(cat "$tmp/fake.sock.signs" 2>/dev/null)" = sign ]
ok $? "carol's security key: 'touch your security key' before the one sign request; refused: exit 1"
ok "$([ "$(got)" = "$before" ] && echo 0 || echo 1)" "nothing was sent in any of these cases ($(($(got) - before)) datagrams)"

# --- knocks that go out: message 1 of the user's suite, resent as the same bytes
check_sent() {	# count suite size what
	local new lines res
	new=$(($(got) - before))
	lines=$(tail -n +"$((before + 1))" "$tmp/got")
	res=$(python3 "$tmp/tool.py" check-msg1 "$(head -1 <<<"$lines")" "$tmp/x.pub" "$2" "$3")
	[ "$new" = "$1" ] && [ "$(sort -u <<<"$lines" | wc -l)" = 1 ] && [ "$res" = ok ]
	ok $? "$4: $1 identical datagrams, suite $2 message 1 of $3 bytes, mac1 under the stored key (got $new, $res)"
	before=$(got)
}
ssh-add -q "$tmp/id_bob" 2>/dev/null || bail "ssh-add failed"
before=$(got)
knock bob office2
[ $r = 1 ] && grep -q "no answer from 127.0.0.1" <<<"$out"
ok $? "bob through the agent knocks; no server: exit 1"
sleep 0.3
check_sent 3 2 $((193 + 3)) "bob through ssh-agent"
(unset SSH_AUTH_SOCK; knock alice office; exit $r)
ok "$([ $? = 1 ] && echo 0 || echo 1)" "alice with her key file knocks without an agent"
sleep 0.3
check_sent 3 2 $((193 + 5)) "alice with keys/alice.key"
knock dave office --attempts 2
sleep 0.3
new=$(($(got) - before))
first=$(tail -n +"$((before + 1))" "$tmp/got" | head -1)
[ "$new" = 2 ] && [ "${first:0:12}" = 434b51010101 ]
ok $? "dave's RSA key still knocks with suite 1 from the two-key server.pub (got $new, header ${first:0:16})"

# --- whole knocks against a suite 2 server made of the library's server
# side (tests/s2_server_tool.c): the cookie round and a lost message 2
# resend the same signed core, the request is what was asked.
start_server() {	# user options...: the server for user's key, its port in $sport
	local user=$1
	shift
	rm -f "$tmp/srv.out"
	"$SERVER_TOOL" "$tmp/x.key" "$dir/keys/$user.pub" --seconds 30 "$@" >"$tmp/srv.out" 2>&1 &
	server_pid=$!
	for _ in $(seq 50); do grep -q '^port ' "$tmp/srv.out" 2>/dev/null && break; sleep 0.1; done
	sport=$(awk '$1 == "port" { print $2 }' "$tmp/srv.out")
	[ -n "$sport" ] || bail "s2_server_tool did not start: $(cat "$tmp/srv.out")"
}
stop_server() {
	wait "$server_pid" 2>/dev/null
	server_pid=
	diag <"$tmp/srv.out"
}
start_server bob --cookie --drop 1
"$CKQ" add-server lab 127.0.0.1 --key "$tmp/server.pub" --user bob --knock-port "$sport" \
	-d "$dir" >/dev/null 2>&1 || bail "add-server lab failed"
knock bob lab --attempts 5 --timeout 300
stop_server
[ $r = 0 ] && grep -Eq '^granted tcp/22 to 127\.0\.0\.1 until [0-9]{2}:[0-9]{2}:[0-9]{2}$' <<<"$out"
ok $? "bob (ssh-agent) knocks through a cookie round and a lost message 2: exit 0, granted"
grep -qx 'request bob tcp/22 123456' "$tmp/srv.out"
ok $? "the server verified bob's signature and read his request"
[ "$(grep -c '^cookie$' "$tmp/srv.out")" = 1 ] && [ "$(grep -c '^mac2 ok same-core$' "$tmp/srv.out")" = 2 ] &&
	! grep -q 'mac2 bad\|core changed\|another message 1' "$tmp/srv.out"
ok $? "after the cookie every message 1 carries its mac2 after the first core, unchanged"
sizes=$(awk '$1 == "msg1" { print $2 }' "$tmp/srv.out" | tr '\n' ' ')
hashes=$(awk '$1 == "msg1" { print $3 }' "$tmp/srv.out" | tail -n +2 | sort -u | wc -l)
[ "$sizes" = "196 212 212 " ] && [ "$hashes" = 1 ]
ok $? "message 1: 196 bytes, then 212 with the mac2, the retransmission the same bytes (sizes: $sizes)"

start_server alice
"$CKQ" add-server lab 127.0.0.1 --key "$tmp/server.pub" --user alice --knock-port "$sport" \
	-d "$dir" >/dev/null 2>&1 || bail "add-server lab failed"
(unset SSH_AUTH_SOCK; knock alice lab; exit $r)
r=$?
stop_server
[ $r = 0 ] && grep -qx 'request alice tcp/22 123456' "$tmp/srv.out" && grep -qx result "$tmp/srv.out"
ok $? "alice (keys/alice.key, no agent) knocks: exit 0, granted"
start_server alice
"$CKQ" add-server lab 127.0.0.1 --key "$tmp/server.pub" --user alice --knock-port "$sport" \
	-d "$dir" >/dev/null 2>&1 || bail "add-server lab failed"
out=$(timeout 60 "$CKQ" close lab 22 --otp 654321 --attempts 3 --timeout 300 -d "$dir" 2>&1)
r=$?
echo "$out" | diag
stop_server
[ $r = 0 ] && grep -qx 'closed tcp/22 for 127.0.0.1' <<<"$out" && grep -qx 'request alice tcp/22 654321' "$tmp/srv.out"
ok $? "ckq close with the stored user alice: exit 0, closed"

# ckq proxy: the knock for a TCP port, then stdin and stdout relayed to it.
start_server bob
"$CKQ" add-server lab 127.0.0.1 --key "$tmp/server.pub" --user bob --knock-port "$sport" \
	-d "$dir" >/dev/null 2>&1 || bail "add-server lab failed"
python3 "$tmp/tool.py" tcp-banner "$tmp/tcpport" 20 &
tcp_pid=$!
for _ in $(seq 50); do [ -s "$tmp/tcpport" ] && break; sleep 0.1; done
[ -s "$tmp/tcpport" ] || bail "the TCP listener did not start"
out=$(echo hello | timeout 60 "$CKQ" proxy lab "$(cat "$tmp/tcpport")" --otp 123456 --timeout 300 \
	-d "$dir" 2>"$tmp/proxy.err")
r=$?
diag <"$tmp/proxy.err"
wait "$tcp_pid"
tcp_pid=
stop_server
[ $r = 0 ] && [ "$out" = "$(printf 'banner\necho hello')" ] && grep -q '^granted tcp/' "$tmp/proxy.err"
ok $? "ckq proxy with bob's agent key: granted, then the connection relayed (got: $(echo $out))"

# --keep: each renewal is a knock of its own, signed anew through the
# agent, with a new code; --close-on-exit closes with one more. Grants of
# 3 to 4 s (whole seconds) leave at least 1 s between a renewal and the end.
start_server bob --knocks 4 --life 4
"$CKQ" add-server lab 127.0.0.1 --key "$tmp/server.pub" --user bob --knock-port "$sport" \
	-d "$dir" >/dev/null 2>&1 || bail "add-server lab failed"
cat >"$tmp/otp.sh" <<EOF2
#!/bin/sh
n=\$(cat "$tmp/otp.n" 2>/dev/null || echo 0)
echo \$((n + 1)) >"$tmp/otp.n"
echo \$((200000 + n))
EOF2
# Not under timeout(1), whose own SIGTERM goes to its process group as
# well: ckq would get two, and the second ends the close.
"$CKQ" open lab 22 --keep --close-on-exit --otp-command "sh $tmp/otp.sh" \
	--timeout 300 -d "$dir" >"$tmp/keep.out" 2>&1 &
keep_pid=$!
for _ in $(seq 200); do
	[ "$(grep -c '^result$' "$tmp/srv.out")" -ge 3 ] && break
	sleep 0.1
done
sleep 0.2
kill -TERM "$keep_pid"
for _ in $(seq 100); do kill -0 "$keep_pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$keep_pid" 2>/dev/null
wait "$keep_pid"
r=$?
keep_pid=
diag <"$tmp/keep.out"
stop_server
[ $r = 0 ] && [ "$(grep -c '^renewed tcp/22 to 127.0.0.1 until' "$tmp/keep.out")" = 2 ] &&
	grep -qx 'closed tcp/22 for 127.0.0.1' "$tmp/keep.out"
ok $? "ckq open --keep --close-on-exit: granted, renewed twice, closed on SIGTERM, exit 0"
[ "$(grep -c '^request bob tcp/22 20000[0-3]$' "$tmp/srv.out")" = 4 ] &&
	[ "$(awk '$1 == "msg1" { print $3 }' "$tmp/srv.out" | sort -u | wc -l)" = 4 ]
ok $? "four knocks, each with its own code and its own message 1"

echo "1..$n"
[ "$failed" = 0 ]
