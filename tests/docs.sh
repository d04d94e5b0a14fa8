#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The documentation cannot drift from the programs. Every option that a
# program's or a command's --help prints must be in its man page (in the
# command's own subsection), every command must have one, every ckqd.conf
# keyword of src/lib/conf.c must be described in ckqd.conf(5) with the
# default that 'ckq-admin init' writes, and be in that file and in
# contrib/ckqd.conf.example; likewise the user-file keys (src/lib/userdb.c), the refusal
# reasons of src/ckqd/engine.c and the client's server-file keys. The man
# pages must format without a warning. The bash completions must offer
# every command and option, and complete server and user names from the
# directories the programs use. The fail2ban filter must match the
# refusals it is meant for and nothing else.
#
# Needs groff and fail2ban-regex (run.sh installs groff-base and fail2ban);
# no root. CKQ_BUILDDIR has the programs, CKQ_SRCDIR the sources.
set -u

builddir=${CKQ_BUILDDIR:-.}
srcdir=${CKQ_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/tap.sh"

for p in ckq ckq-admin ckqd; do
	[ -x "$builddir/$p" ] || bail "no $builddir/$p: build first"
done
command -v groff >/dev/null || bail "groff is not installed (Debian: apt-get install groff-base)"
command -v fail2ban-regex >/dev/null ||
	bail "fail2ban-regex is not installed (Debian: apt-get install fail2ban)"

tmp=$(mktemp -d) || bail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# A page as plain text, one paragraph a line (no wrapping, no hyphenation
# at line ends): options and keywords stay whole for grep.
render() {
	groff -man -Tascii -P-cbou -rLL=2000n "$1" 2>/dev/null
}

# The lines of the subsection whose heading has the word $2.
subsection() {
	awk -v w="$2" '
		/^[^ ]/ || /^   [^ ]/ { on = 0 }
		/^   [^ ]/ {
			k = split($0, a, /[ ,]+/)
			for (i = 1; i <= k; i++)
				if (a[i] == w)
					on = 1
			next
		}
		on
	' "$1"
}

# The lines of the section headed $2.
section() {
	awk -v h="$2" '
		/^[^ ]/ { on = ($0 == h); next }
		on
	' "$1"
}

# The subsection headings of section $2.
subsection_names() {
	section "$1" "$2" | sed -n 's/^   \([^ ].*\)$/\1/p' | tr ', ' '\n\n' | sed '/^$/d'
}

# The options a --help text names, each once: those of its usage (up to the
# first empty line) and of the lines that begin, indented, with an option.
# Not those of the prose and examples ("oathtool --totp", "ssh -o ...").
help_options() {
	awk '
		/^Usage:/ { usage = 1 }
		/^$/ { usage = 0 }
		usage || /^ +-/
	' | sed -E "s/\"[^\"]*\"//g; s/'[^']*'//g" |
		grep -oE '(^|[][ (|/;])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[][ (|/;]//' | sort -u
}

# The commands a program's --help lists: "  name   what it does".
help_commands() {
	sed -nE 's/^  ([a-z][a-z-]+)  +.*/\1/p'
}

# Whether text file $1 names option $2 as a word of its own.
has_option() {
	grep -qE -- "(^|[][ (|,/])$2([][ ,.;:)|=/]|\$)" "$1"
}

# The options that head a .TP or .TQ paragraph of a page: the ones it
# describes, not merely names.
tag_options() {
	awk 'prev ~ /^\.T[PQ]/ { print } { prev = $0 }' "$1" |
		sed -E 's/\\f[BIRP]//g; s/\\-/-/g; s/^\.[A-Z]+ //; s/"//g' |
		grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[ ,]//' | sort -u
}

prog_help() {
	"$builddir/$1" "${@:2}" 2>&1
}

# --- man pages -------------------------------------------------------------

pages="ckq.1 ckqd.conf.5 ckqd.8 ckq-admin.8 ckq-firewall.8"
for page in $pages; do
	f=$srcdir/doc/$page
	if [ ! -f "$f" ]; then
		ok 1 "doc/$page exists"
		continue
	fi
	w=$(groff -man -Tutf8 -ww -z "$f" 2>&1)
	ok "$([ -z "$w" ] && echo 0 || echo 1)" "doc/$page formats without groff warnings"
	[ -z "$w" ] || diag <<<"$w"
	if command -v mandoc >/dev/null; then
		w=$(mandoc -Tlint -W warning "$f" 2>&1)
		ok "$([ -z "$w" ] && echo 0 || echo 1)" "doc/$page passes mandoc -Tlint"
		[ -z "$w" ] || diag <<<"$w"
	else
		n=$((n + 1))
		echo "ok $n - doc/$page passes mandoc -Tlint # SKIP mandoc is not installed"
	fi
	render "$f" >"$tmp/$page.txt"
done

version=$("$builddir/ckqd" -V | awk '{ print $2 }')
for page in $pages; do
	grep -q "\"ckq $version\"" "$srcdir/doc/$page"
	ok $? "doc/$page is for version $version"
done

# check_program PROG PAGE: the commands and options of PROG's --help.
check_program() {
	local prog=$1 page=$tmp/$2.txt main_opts cmds cmd missing o
	prog_help "$prog" --help >"$tmp/help" 2>&1
	[ "$prog" = ckqd ] && prog_help ckqd -h >"$tmp/help"
	main_opts=$(help_options <"$tmp/help")
	all=$main_opts
	missing=
	for o in $main_opts; do
		has_option "$page" "$o" || missing="$missing $o"
	done
	ok "$([ -z "$missing" ] && echo 0 || echo 1)" "$2 names every option of '$prog --help'${missing:+ (missing:$missing)}"

	cmds=$(help_commands <"$tmp/help")
	[ "$prog" = ckqd ] && return
	[ -n "$cmds" ]
	ok $? "'$prog --help' lists commands"
	missing=
	for cmd in $cmds; do
		subsection "$page" "$cmd" | grep -q . || missing="$missing $cmd"
	done
	ok "$([ -z "$missing" ] && echo 0 || echo 1)" "$2 has a subsection for every command of $prog${missing:+ (missing:$missing)}"
	missing=
	for cmd in $(subsection_names "$page" COMMANDS); do
		grep -qx -- "$cmd" <<<"$cmds" || missing="$missing $cmd"
	done
	ok "$([ -z "$missing" ] && echo 0 || echo 1)" "$2 describes no command that $prog lacks${missing:+ (extra:$missing)}"

	for cmd in $cmds; do
		prog_help "$prog" "$cmd" --help >"$tmp/cmdhelp"
		grep -q '^Usage:' "$tmp/cmdhelp"
		ok $? "'$prog $cmd --help' prints a usage"
		subsection "$page" "$cmd" >"$tmp/sub"
		missing=
		for o in $(help_options <"$tmp/cmdhelp"); do
			# Options of the program itself (-c DIR) are in OPTIONS.
			if grep -qx -- "$o" <<<"$main_opts"; then
				has_option "$page" "$o" || missing="$missing $o"
			else
				has_option "$tmp/sub" "$o" || missing="$missing $o"
			fi
		done
		ok "$([ -z "$missing" ] && echo 0 || echo 1)" "$2 names every option of '$prog $cmd --help' under $cmd${missing:+ (missing:$missing)}"
		all="$all $(help_options <"$tmp/cmdhelp")"
	done
}

# check_described PROG PAGE: each option of PROG is described somewhere.
check_described() {
	local tags missing= o
	tags=$(tag_options "$srcdir/doc/$2")
	for o in $(tr ' ' '\n' <<<"$all" | sed '/^$/d' | sort -u); do
		grep -qx -- "$o" <<<"$tags" || missing="$missing $o"
	done
	ok "$([ -z "$missing" ] && echo 0 || echo 1)" "$2 describes every option of $1 in a paragraph of its own${missing:+ (missing:$missing)}"
}

all=
check_program ckq ckq.1
check_described ckq ckq.1
check_program ckq-admin ckq-admin.8
check_described ckq-admin ckq-admin.8
check_program ckqd ckqd.8
check_described ckqd ckqd.8

# Exit codes: the client's, in its help and its page.
codes=$(sed -nE 's/^[[:space:]]*EXIT_[A-Z]+ = ([0-9]+),.*/\1/p' "$srcdir/src/ckq/ckq.h")
missing=
for c in $codes; do
	section "$tmp/ckq.1.txt" "EXIT STATUS" | grep -qE "^       $c( |\$)" || missing="$missing $c"
	tr '\n' ' ' <<<"$(prog_help ckq --help)" | grep -qE "[ :]$c [a-z]" || missing="$missing help:$c"
done
ok "$([ -n "$codes" ] && [ -z "$missing" ] && echo 0 || echo 1)" "ckq(1) and 'ckq --help' give every exit code of src/ckq/ckq.h${missing:+ (missing:$missing)}"

# --- ckqd.conf -------------------------------------------------------------

keywords=$(sed -nE 's/.*\{ "([a-z_]+)", K_.*/\1/p' "$srcdir/src/lib/conf.c")
[ "$(wc -w <<<"$keywords")" -ge 10 ]
ok $? "the keyword table of src/lib/conf.c yields the ckqd.conf keywords ($(wc -w <<<"$keywords"))"

"$builddir/ckq-admin" -c "$tmp/etc" init --bits 2048 >"$tmp/init.out" 2>&1
rc=$?
# As a user other than root, init cannot give users/ to an existing ckqd
# user; it has written ckqd.conf by then, which is what is checked here.
[ -f "$tmp/etc/ckqd.conf" ]
ok $? "ckq-admin init writes a default ckqd.conf (exit $rc)"
[ -f "$tmp/etc/ckqd.conf" ] || diag <"$tmp/init.out"
defaults=$tmp/etc/ckqd.conf
example=$srcdir/contrib/ckqd.conf.example
conf5=$tmp/ckqd.conf.5.txt
section "$conf5" CKQD.CONF >"$tmp/conf-section"

value_in() {	# FILE KEYWORD: the value of "#KEYWORD = VALUE"
	sed -nE "s/^#$2 = (.*)\$/\\1/p" "$1" | head -1
}

missing=
nodefault=
noexample=
badexample=
badman=
for k in $keywords; do
	grep -qE "^       $k = " "$tmp/conf-section" || missing="$missing $k"
	d=$(value_in "$defaults" "$k")
	[ -n "$d" ] || nodefault="$nodefault $k"
	e=$(value_in "$example" "$k")
	if [ -z "$e" ]; then
		noexample="$noexample $k"
	elif [ "$e" != "$d" ]; then
		badexample="$badexample $k($e!=$d)"
	fi
	# The line after the tag is its paragraph; it must state that default.
	entry=$(awk -v k="$k" 'f { print; exit } $0 ~ "^       " k " = " { f = 1 }' "$tmp/conf-section")
	grep -qF "Default: $d." <<<"$entry" || badman="$badman $k"
done
ok "$([ -z "$missing" ] && echo 0 || echo 1)" "ckqd.conf(5) describes every keyword${missing:+ (missing:$missing)}"
ok "$([ -z "$nodefault" ] && echo 0 || echo 1)" "the ckqd.conf of ckq-admin init lists every keyword${nodefault:+ (missing:$nodefault)}"
ok "$([ -z "$noexample$badexample" ] && echo 0 || echo 1)" "contrib/ckqd.conf.example lists every keyword with init's default${noexample:+ (missing:$noexample)}${badexample:+ (differ:$badexample)}"
ok "$([ -z "$badman" ] && echo 0 || echo 1)" "ckqd.conf(5) gives the default init writes for every keyword${badman:+ (wrong or missing:$badman)}"

# conf.c's keywords[] says which settings a reload keeps as ckqd started;
# ckqd.conf(5) marks exactly those "Restart.".
restart=$(sed -nE 's/.*\{ "([a-z_]+)", K_.*, RESTART \},.*/\1/p' "$srcdir/src/lib/conf.c")
badrestart=
for k in $keywords; do
	entry=$(awk -v k="$k" 'f && /^       [^ ]/ { exit } f { print } $0 ~ "^       " k " = " { f = 1 }' "$tmp/conf-section")
	marked=no
	grep -qE "(^| )Restart\.( |\$)" <<<"$entry" && marked=yes
	want=no
	grep -qx -- "$k" <<<"$restart" && want=yes
	[ "$marked" = "$want" ] || badrestart="$badrestart $k(table:$want,man:$marked)"
done
ok "$([ "$(wc -w <<<"$restart")" -ge 10 ] && [ -z "$badrestart" ] && echo 0 || echo 1)" "ckqd.conf(5) marks Restart exactly the $(wc -w <<<"$restart") settings conf.c's table keeps on reload${badrestart:+ (differ:$badrestart)}"

extra=
for k in $(sed -nE 's/^       ([a-z_]+) = .*/\1/p' "$tmp/conf-section") \
	 $(sed -nE 's/^#([a-z_]+) = .*/\1/p' "$defaults" "$example"); do
	grep -qx -- "$k" <<<"$keywords" || extra="$extra $k"
done
ok "$([ -z "$extra" ] && echo 0 || echo 1)" "no keyword in ckqd.conf(5), init's file or the example that ckqd does not know${extra:+ (unknown:$extra)}"

# The default file and the example must parse: ckqd -t reads them.
mkdir -p "$tmp/ex/users"
cp "$example" "$tmp/ex/ckqd.conf"
sed -i 's/^#\([a-z_]* = \)/\1/' "$tmp/ex/ckqd.conf"
echo "user = root" >>"$tmp/ex/ckqd.conf"
cp "$tmp/etc/server.key" "$tmp/etc/server.pub" "$tmp/ex/" 2>/dev/null
"$builddir/ckqd" -t -c "$tmp/ex" >"$tmp/t.out" 2>&1
ok $? "contrib/ckqd.conf.example with every setting uncommented passes ckqd -t"
diag <"$tmp/t.out"

userkeys=$(sed -n '/^int user_parse/,/^}/p' "$srcdir/src/lib/userdb.c" |
	sed -nE 's/.*strcmp\(it\.key, "([a-z_]+)"\).*/\1/p')
section "$conf5" "USER FILES" >"$tmp/user-section"
missing=
for k in $userkeys; do
	grep -qE "^       $k = " "$tmp/user-section" || missing="$missing $k"
done
ok "$([ "$(wc -w <<<"$userkeys")" -ge 5 ] && [ -z "$missing" ] && echo 0 || echo 1)" "ckqd.conf(5) describes every user-file key of user_parse ($(echo $userkeys))${missing:+ (missing:$missing)}"
extra=
for k in $(sed -nE 's/^       ([a-z_]+) = .*/\1/p' "$tmp/user-section"); do
	grep -qx -- "$k" <<<"$userkeys" || extra="$extra $k"
done
ok "$([ -z "$extra" ] && echo 0 || echo 1)" "no user-file key in ckqd.conf(5) that user_parse does not know${extra:+ (unknown:$extra)}"

serverkeys=$(sed -nE 's/.*strcmp\(it\.key, "([a-z_]+)"\).*/\1/p' "$srcdir/src/ckq/server.c")
missing=
for k in $serverkeys; do
	section "$tmp/ckq.1.txt" FILES | grep -qE "^ +$k = " || missing="$missing $k"
done
ok "$([ -n "$serverkeys" ] && [ -z "$missing" ] && echo 0 || echo 1)" "ckq(1) describes every key of a stored server file ($(echo $serverkeys))${missing:+ (missing:$missing)}"

# --- log lines --------------------------------------------------------------

# The reasons of every refuse(...) call of the engine: a string, or a
# CKQ_REFUSE_ constant named by src/lib/stats.c's table.
reasons=$(perl -0ne 'print "$1\n" while /\brefuse\(([^;]*)\);/g' "$srcdir/src/ckqd/engine.c" |
	grep -oE '"[a-z_]+"|CKQ_REFUSE_[A-Z_]+' | while read -r r; do
		case $r in
		CKQ_REFUSE_*)
			sed -nE "s/.*\[$r\] = \{ \"([a-z_]+)\".*/\1/p" "$srcdir/src/lib/stats.c" 2>/dev/null |
				grep . || echo "unnamed:$r"
			;;
		*) echo "${r//\"/}" ;;
		esac
	done | sort -u)
section "$tmp/ckqd.8.txt" LOGGING >"$tmp/logging"
missing=
for r in $reasons; do
	grep -qE "^       $r( |\$)" "$tmp/logging" || missing="$missing $r"
done
ok "$([ "$(wc -w <<<"$reasons")" -ge 10 ] && [ -z "$missing" ] && echo 0 || echo 1)" "ckqd(8) explains every refusal reason of src/ckqd/engine.c ($(wc -w <<<"$reasons"))${missing:+ (missing:$missing)}"
missing=
for l in 'knock refused reason=%s user=%s src=%s' \
	 'knock granted user=%s src=%s port=%s/%u duration=%u' \
	 'knock closed user=%s src=%s port=%s/%u'; do
	grep -qF "\"$l\"" "$srcdir/src/ckqd/engine.c" || missing="$missing [$l]"
done
ok "$([ -z "$missing" ] && echo 0 || echo 1)" "ckqd logs the lines ckqd(8) and the fail2ban filter expect${missing:+ (not in engine.c:$missing)}"

# --- bash completion ------------------------------------------------------

# complete FILE FUNCTION WORD...: what FUNCTION offers for the last WORD.
complete_words() {
	local file=$1 func=$2
	shift 2
	bash -c '
		source "$1" || exit 1
		f=$2
		shift 2
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		"$f" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$file" "$func" "$@" 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'
}

comp=$srcdir/contrib/bash-completion
for f in ckq ckq-admin ckqd; do
	bash -n "$comp/$f" 2>"$tmp/err"
	ok $? "contrib/bash-completion/$f is valid bash"
	diag <"$tmp/err"
done

got=$(complete_words "$comp/ckq" _ckq ckq '')
missing=
for c in $(prog_help ckq --help | help_commands); do
	[[ " $got " == *" $c "* ]] || missing="$missing $c"
done
ok "$([ -z "$missing" ] && echo 0 || echo 1)" "completion offers every ckq command${missing:+ (missing:$missing)}"
got=$(complete_words "$comp/ckq" _ckq ckq o)
[ "$got" = open ]
ok $? "completion: 'ckq o' gives open (got: $got)"

got=$(complete_words "$comp/ckq-admin" _ckq_admin ckq-admin '')
missing=
for c in $(prog_help ckq-admin --help | help_commands); do
	[[ " $got " == *" $c "* ]] || missing="$missing $c"
done
ok "$([ -z "$missing" ] && echo 0 || echo 1)" "completion offers every ckq-admin command${missing:+ (missing:$missing)}"

# Every option of every command's --help, offered after a dash.
for prog in ckq ckq-admin; do
	func=_${prog//-/_}
	for cmd in $(prog_help "$prog" --help | help_commands); do
		got=$(complete_words "$comp/$prog" "$func" "$prog" "$cmd" -)
		missing=
		for o in $(prog_help "$prog" "$cmd" --help | help_options); do
			[[ " $got " == *" $o "* ]] || missing="$missing $o"
		done
		ok "$([ -z "$missing" ] && echo 0 || echo 1)" "completion offers every option of '$prog $cmd --help'${missing:+ (missing:$missing)}"
	done
done
got=$(complete_words "$comp/ckqd" _ckqd ckqd -)
missing=
for o in $(prog_help ckqd -h | help_options); do
	[[ " $got " == *" $o "* ]] || missing="$missing $o"
done
ok "$([ -z "$missing" ] && echo 0 || echo 1)" "completion offers every option of 'ckqd -h'${missing:+ (missing:$missing)}"

mkdir -p "$tmp/client/servers" "$tmp/client/keys" "$tmp/other/servers" "$tmp/admin/users"
touch "$tmp/client/servers/office.conf" "$tmp/client/servers/office.pub" \
	"$tmp/client/servers/home.conf" "$tmp/client/keys/alice.key" \
	"$tmp/other/servers/lab.conf" "$tmp/admin/users/alice.conf" \
	"$tmp/admin/users/alice.pub" "$tmp/admin/users/bob.conf"
got=$(CKQ_DIR=$tmp/client complete_words "$comp/ckq" _ckq ckq open '')
[ "$got" = "home office" ]
ok $? "completion: 'ckq open' gives the servers of \$CKQ_DIR (got: $got)"
got=$(CKQ_DIR=$tmp/client complete_words "$comp/ckq" _ckq ckq close -d "$tmp/other" '')
[ "$got" = lab ]
ok $? "completion: 'ckq close -d DIR' gives the servers of DIR (got: $got)"
got=$(CKQ_DIR= XDG_CONFIG_HOME=$tmp/xdg HOME=$tmp/client complete_words "$comp/ckq" _ckq ckq open '')
[ -z "$got" ]
ok $? "completion: \$XDG_CONFIG_HOME/ckq before ~/.config/ckq, as ckq (got: $got)"
got=$(CKQ_DIR=$tmp/client complete_words "$comp/ckq" _ckq ckq open --user '')
[ "$got" = alice ]
ok $? "completion: 'ckq open --user' gives the key names (got: $got)"
got=$(CKQ_DIR=$tmp/client complete_words "$comp/ckq" _ckq ckq open --user alice off)
[ "$got" = office ]
ok $? "completion: 'ckq open --user alice off' gives office (got: $got)"
got=$(CKQ_DIR=$tmp/client complete_words "$comp/ckq" _ckq ckq open office u)
[ "$got" = udp/ ]
ok $? "completion: a port spec starts with tcp/ or udp/ (got: $got)"
got=$(CKQ_DIR=$tmp/client complete_words "$comp/ckq" _ckq ckq open office tcp/2)
[ "$got" = tcp/22 ]
ok $? "completion: 'tcp/2' gives tcp/22 (got: $got)"
got=$(complete_words "$comp/ckq-admin" _ckq_admin ckq-admin -c "$tmp/admin" del-user '')
[ "$got" = "alice bob" ]
ok $? "completion: 'ckq-admin -c DIR del-user' gives the users of DIR (got: $got)"
got=$(complete_words "$comp/ckq-admin" _ckq_admin ckq-admin revoke --config "$tmp/admin" b)
[ "$got" = bob ]
ok $? "completion: 'ckq-admin revoke --config DIR b' gives bob (got: $got)"
got=$(complete_words "$comp/ckq-admin" _ckq_admin ckq-admin add-user carol --ports tcp/22,ud)
[ "$got" = tcp/22,udp/ ]
ok $? "completion: add-user --ports completes the last item of a list (got: $got)"

# --- fail2ban -------------------------------------------------------------

filter=$srcdir/contrib/fail2ban/filter.d/ckq.conf
common=/etc/fail2ban/filter.d/common.conf
[ -f "$common" ] || bail "no $common: is fail2ban installed?"
mkdir -p "$tmp/f2b"
cp "$common" "$filter" "$tmp/f2b/"

# The refusals worth a ban, and the lines that must never ban anyone.
ban="bad_signature bad_otp unknown_user revoked stale_timestamp address_mismatch undecryptable rate_limited replay source_not_allowed expired"
filter_reasons=$(sed -nE 's/^_reasons = //p' "$filter" | tr '|' ' ')
missing=
for r in $filter_reasons; do
	grep -qx -- "$r" <<<"$reasons" || missing="$missing $r"
done
ok "$([ -n "$filter_reasons" ] && [ -z "$missing" ] && echo 0 || echo 1)" "the fail2ban filter names only reasons ckqd logs${missing:+ (unknown:$missing)}"

log=$tmp/ckqd.log
i=0
want=
for r in $ban; do
	i=$((i + 1))
	echo "Nov 27 01:02:03 host ckqd[123]: knock refused reason=$r user=alice src=192.0.2.$i"
	want="$want 192.0.2.$i"
done >"$log"
cat >>"$log" <<'EOF'
Nov 27 01:02:04 host ckqd[123]: knock refused reason=undecryptable user=- src=2001:db8::7
Nov 27 01:02:05 host ckqd[123]: ckqd: notice: knock refused reason=bad_otp user=bob src=198.51.100.9
Nov 27 01:03:00 host ckqd[123]: knock granted user=alice src=203.0.113.1 port=tcp/22 duration=300
Nov 27 01:03:01 host ckqd[123]: knock closed user=alice src=203.0.113.2 port=tcp/22
Nov 27 01:03:02 host ckqd[123]: knock refused reason=port_not_allowed user=alice src=203.0.113.3
Nov 27 01:03:03 host ckqd[123]: knock refused reason=nat_not_allowed user=alice src=203.0.113.4
Nov 27 01:03:04 host ckqd[123]: knock refused reason=replay_cache_full user=alice src=203.0.113.5
Nov 27 01:03:05 host ckqd[123]: knock refused reason=unknown_session user=- src=203.0.113.6
Nov 27 01:03:06 host ckqd[123]: knock refused reason=nonce_reused user=alice src=203.0.113.7
Nov 27 01:03:07 host ckqd[123]: knock refused reason=bad_response user=alice src=203.0.113.8
Nov 27 01:03:08 host ckqd[123]: knock failed reason=ipset user=alice src=203.0.113.9 set=ckq-tcp-22: The set with the given name does not exist
Nov 27 01:03:09 host ckqd[123]: (7 similar messages suppressed)
Nov 27 01:03:10 host ckqd[123]: grant closed user=alice src=203.0.113.10 set=ckq-tcp-22: user removed or revoked
Nov 27 01:03:11 host sshd[99]: knock refused reason=bad_otp user=alice src=203.0.113.11
EOF
want="$want 2001:db8::7 198.51.100.9"
fail2ban-regex "$log" "$tmp/f2b/ckq.conf" >"$tmp/f2b.out" 2>&1
ok $? "fail2ban-regex reads contrib/fail2ban/filter.d/ckq.conf"
matched=$(sed -nE 's/^Lines: ([0-9]+) lines, [0-9]+ ignored, ([0-9]+) matched.*/\2/p' "$tmp/f2b.out")
expect=$(wc -w <<<"$want")
[ "$matched" = "$expect" ]
ok $? "the filter matches the $expect refusals worth a ban (matched: ${matched:-none})"
[ "$matched" = "$expect" ] || diag <"$tmp/f2b.out"
got=$(fail2ban-regex -o ip "$log" "$tmp/f2b/ckq.conf" 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//')
want=$(tr ' ' '\n' <<<"$want" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$want" ]
ok $? "the filter takes the source address of each, and of nothing else"
[ "$got" = "$want" ] || diag <<<"got: $got
want: $want"
grep -q 203.0.113 <<<"$got"
ok "$([ $? != 0 ] && echo 0 || echo 1)" "grants, closes, other reasons and other programs do not match"

echo "1..$n"
[ "$failed" = 0 ]
