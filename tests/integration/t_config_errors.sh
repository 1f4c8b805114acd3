#!/bin/bash
# A bad configuration makes supd refuse to start with one line naming file,
# line and key, and it changes nothing (no database, socket or container).
. "$(dirname "$0")/lib.sh"

# try NAME EXPECTED-REGEX: config body on stdin (container sections).
# "@N" in the regex stands for the file line of the body's line N.
try() {
	local name=$1 want=$2
	rm -rf "$T/state" "$T/run" "$T/log"
	write_config
	local first
	first=$(grep -n '^\[container' "$CONF" | head -1 | cut -d: -f1)
	while [[ $want =~ @([0-9]+) ]]; do
		want=${want/@${BASH_REMATCH[1]}/$((first + BASH_REMATCH[1] - 1))}
	done
	set +e
	out=$("$SUPD" -c "$CONF" 2>&1)
	rc=$?
	set -e
	check "$name: supd exits 1" 1 "$rc"
	check_match "$name: message" "$want" "$out"
	check "$name: one line" 1 "$(printf '%s\n' "$out" | wc -l)"
	[ ! -e "$T/state/sup.db" ] && [ ! -e "$SOCK" ] && pass "$name: nothing created" || fail "$name: left a database or socket behind"
}

try "unknown key" "supd.conf:@4: .*'colour'" <<EOF
[container:a]
rootfs = $ROOTFS
command = /bin/true
colour = blue
EOF
try "bad size" "supd.conf:@5: .*'memory_max'.*64X" <<EOF
[container:a]
rootfs = $ROOTFS
command = /bin/true

memory_max = 64X
EOF
try "bad duration" "supd.conf:@2: .*'stop_timeout'" <<EOF
[container:a]
stop_timeout = 10 parsecs
rootfs = $ROOTFS
command = /bin/true
EOF
try "missing rootfs" "supd.conf:@1: .*rootfs" <<EOF
[container:a]
command = /bin/true
EOF
try "missing command" "supd.conf:@1: .*command" <<EOF
[container:a]
rootfs = $ROOTFS
EOF
try "rootfs not a directory" "supd.conf:@2: .*not a directory" <<EOF
[container:a]
rootfs = $CONF
command = /bin/true
EOF
try "invalid name" "supd.conf:@1: .*\.\./x" <<EOF
[container:../x]
rootfs = $ROOTFS
command = /bin/true
EOF
try "bad quoting" "supd.conf:@3: .*'command'.*quote" <<EOF
[container:a]
rootfs = $ROOTFS
command = /bin/sh -c "echo hi
EOF
mkdir -p "$T/conf.d"
printf '[container:dup]\nrootfs = %s\ncommand = /bin/true\n' "$ROOTFS" > "$T/conf.d/x.conf"
try "duplicate across files" "duplicate container 'dup' \(first defined at .*:[0-9]+\)" <<EOF
[container:dup]
rootfs = $ROOTFS
command = /bin/true
EOF
rm -f "$T/conf.d/x.conf"
set +e
out=$("$SUPD" -c "$T/missing.conf" 2>&1); rc=$?
set -e
check "missing config file: exit 1" 1 "$rc"
# Under systemd (JOURNAL_STREAM set) each line carries its syslog priority.
set +e
out=$(JOURNAL_STREAM=8:1234 "$SUPD" -c "$T/missing.conf" 2>&1)
set -e
check_match "under systemd the error line has priority <3>" "^<3>" "$out"
check_match "missing config file: names it" "missing.conf" "$out"
finish
