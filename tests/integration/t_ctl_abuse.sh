#!/bin/bash
# The control socket under abuse: who may connect (file mode, SO_PEERCRED,
# control_group); malformed, binary, oversized and wrong-version requests
# get an error line; 50 stalled clients neither block supctl nor outlive the
# 10 s timeout; a flood past the client cap gets "busy"; and supd keeps
# supervising (a restart works) throughout.
. "$(dirname "$0")/lib.sh"
CLIENT=$SUP_BUILD/tests/ctl-client

containers() {
	cat <<EOF
[container:web]
rootfs = $ROOTFS
command = /bin/probe sleep 600
stop_timeout = 1s

[container:idle]
rootfs = $ROOTFS
command = /bin/probe sleep 600
autostart = no
stop_timeout = 1s
EOF
}
containers | write_config
start_supd
wait_until 10 "web running" state_is web running
chmod 755 "$T" # so that uid 65534 can reach the socket's directory

# send PRINTF-FORMAT: the bytes as printf makes them, and supd's answer.
send() { printf "$1" | "$CLIENT" "$SOCK" send 2>&1; }
web_pid() { q "SELECT pid FROM containers WHERE name='web'"; }
# restart_works: supervision still answers and acts.
restart_works() {
	local before after
	before=$(web_pid)
	ctl restart web >/dev/null || return 1
	after=$(web_pid)
	[ -n "$after" ] && [ "$after" != "$before" ] && state_is web running
}

# --- the protocol
check_match "sup/1 ping answers" "^ok supd [0-9.]+ pid $SUPD_PID$" "$(send 'sup/1 ping\n')"
check_match "a request without a version names the supported one" \
	"^error unsupported protocol version 'ping': this supd speaks sup/1" "$(send 'ping\n')"
check_match "another version is refused, naming sup/1" \
	"^error unsupported protocol version 'sup/2': this supd speaks sup/1" "$(send 'sup/2 ping\n')"
check_match "a NUL byte is an error" "^error request contains a NUL byte at offset 14$" "$(send 'sup/1 start we\0b\n')"
check_match "invalid UTF-8 is an error" "^error request is not valid UTF-8" "$(send 'sup/1 start \xc3\x28\xff\n')"
check_match "an escape sequence is an error" "^error request contains control character 0x1b" "$(send 'sup/1 start \033[2Jweb\n')"
check_match "an empty line is an error" "^error empty request" "$(send '\n')"
check_match "a malformed verb is an error" "^error malformed verb 'START'" "$(send 'sup/1 START web\n')"
check_match "an unknown verb is an error" "^error unknown request 'frobnicate'" "$(send 'sup/1 frobnicate\n')"
check_match "a line without its newline is an error" "^error request not terminated by a newline" "$(send 'sup/1 ping')"
check_match "random binary is an error" "^error " "$(head -c 3000 /dev/urandom | "$CLIENT" "$SOCK" send 2>&1)"
big=$(head -c 100000 /dev/zero | tr '\0' a | "$CLIENT" "$SOCK" send 2>&1)
check_match "an oversized request is an error" "^error request longer than 4095 bytes$" "$big"
check_match "a line of exactly 4095 bytes is decoded" "^error no container named 'a+' in the configuration$" \
	"$(printf 'sup/1 start %04083d\n' 0 | tr 0 a | "$CLIENT" "$SOCK" send 2>&1)"
restart_works && pass "restart works after the bad requests" || fail "restart after the bad requests"

# --- who may connect
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
check "the socket is 0600 without control_group" "600 root" "$(stat -c '%a %G' "$SOCK")"
check_match "uid 65534 is kept out by the file mode" "Permission denied" \
	"$(printf 'sup/1 ping\n' | $NOBODY "$CLIENT" "$SOCK" send 2>&1)"
chmod 666 "$SOCK" # as a careless admin might: supd's own check still holds
check_match "uid 65534 on a world-writable socket is refused by supd" \
	"^error permission denied: uid 65534 may not use this socket" \
	"$(printf 'sup/1 ping\n' | $NOBODY "$CLIENT" "$SOCK" send 2>&1)"
out=$($NOBODY "$SUPCTL" --socket "$SOCK" --db "$DB" start idle 2>&1) && fail "supctl as uid 65534 succeeded: $out" ||
	check_match "supctl as uid 65534 shows the refusal" "^supctl: permission denied: uid 65534" "$out"
chmod 600 "$SOCK"

containers | write_config "control_group = nogroup"
check_match "reload with control_group" "^reloaded" "$(ctl reload)"
check "the socket is 0660, group nogroup" "660 nogroup" "$(stat -c '%a %G' "$SOCK")"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$SUPCTL" --socket "$SOCK" --db "$DB" start idle 2>&1)
check "supctl start as a member (primary group) of control_group" "0" "$?"
wait_until 5 "idle running" state_is idle running
out=$(setpriv --reuid=65534 --regid=1 --groups=65534 "$SUPCTL" --socket "$SOCK" --db "$DB" stop idle 2>&1)
check "supctl stop as a member (supplementary group) of control_group" "0" "$?"
chmod 666 "$SOCK"
check_match "a non-member is refused, the message names the group" \
	"^error permission denied: uid 65534 may not use this socket \(only root, uid 0 and members of group 'nogroup' may\)" \
	"$(printf 'sup/1 ping\n' | setpriv --reuid=65534 --regid=1 --clear-groups "$CLIENT" "$SOCK" send 2>&1)"
chmod 660 "$SOCK"

# --- stalled clients: 50 connections that send nothing or half a line
"$CLIENT" "$SOCK" hold 50 >"$T/hold.out" &
HOLD=$!
wait_until 5 "50 stalled connections held" grep -q "held 50" "$T/hold.out"
t0=$(now_ns)
ctl start idle >/dev/null; r1=$?
ctl stop idle >/dev/null; r2=$?
ctl list >/dev/null; r3=$?
ms=$(( ($(now_ns) - t0) / 1000000 )) # a stalled loop would take 10 s or more
check "supctl start, stop, list answer while 50 clients stall" "0 0 0" "$r1 $r2 $r3"
[ $ms -lt $((5000 * TIME_SCALE)) ] && pass "they took ${ms} ms" || fail "supctl took ${ms} ms while clients stalled"
restart_works && pass "restart works while 50 clients stall" || fail "restart while clients stall"
wait $HOLD
res=$(cat "$T/hold.out" | tail -n 1)
check_match "supd dropped all 50 with a timeout error" "^closed 50 timed_out 50 after [0-9]+ ms$" "$res"
ms=$(echo "$res" | awk '{print $6}')
[ "${ms:-0}" -ge 8000 ] && [ "$ms" -le $((13000 * TIME_SCALE)) ] && pass "after ${ms} ms (timeout 10 s)" ||
	fail "stalled clients dropped after ${ms} ms, expected about 10 s"

# --- a flood past the client cap (64)
check "a flood of 100 connections: 36 get busy" "busy 36" "$("$CLIENT" "$SOCK" flood 100)"
check_match "ping answers after the flood" "^ok supd " "$(send 'sup/1 ping\n')"
restart_works && pass "restart works after the flood" || fail "restart after the flood"
kill -0 "$SUPD_PID" 2>/dev/null && pass "supd still runs" || fail "supd died"
stop_supd
check "supd exited 0" 0 "$SUPD_STATUS"
finish
