#!/bin/bash
# sd_notify: with $NOTIFY_SOCKET set, supd sends READY=1 (with STATUS=) only
# once its control socket listens, and STOPPING=1 on SIGTERM before it
# exits 0; an abstract '@' socket works too; a NOTIFY_SOCKET nobody listens
# on costs a warning and nothing else. (Without NOTIFY_SOCKET supd runs as
# usual: every other test starts it that way.)
. "$(dirname "$0")/lib.sh"

NOTIFY_RECV=$SUP_BUILD/tests/notify-recv
[ -x "$NOTIFY_RECV" ] || { echo "FAIL: $NOTIFY_RECV not built"; exit 1; }
RECV_PID=
stop_recv() {
	if [ -n "$RECV_PID" ]; then
		kill "$RECV_PID" 2>/dev/null || true
		wait "$RECV_PID" 2>/dev/null || true
		RECV_PID=
	fi
}
# lib.sh's EXIT trap, with the receiver ended first (cleanup reads the
# exit status from $?).
trap 'rc=$?; stop_recv; set +e; (exit $rc); cleanup' EXIT

write_config <<EOF
[container:a]
rootfs = $ROOTFS
command = /bin/probe trap-term 0 sleep 1000
restart = no

[container:b]
rootfs = $ROOTFS
command = /bin/probe trap-term 0 sleep 1000
restart = no
EOF

# notify-recv PATH: started in the background (directly, so $! is it);
# its second argument makes it try the control socket the moment each
# message arrives.
start_recv() {
	"$NOTIFY_RECV" "$1" "$SOCK" > "$2" 2>"$2.err" &
	RECV_PID=$!
}

# --- a socket path ---
NOTIFY=$T/notify.sock
start_recv "$NOTIFY" "$T/notify.out"
wait_until 5 "notify-recv bound $NOTIFY" test -S "$NOTIFY"
NOTIFY_SOCKET=$NOTIFY start_supd
wait_until 5 "READY=1 arrived" grep -qx "READY=1" "$T/notify.out"
msg1=$(awk '/^--$/ { exit } { print }' "$T/notify.out")
check "the first message is READY=1 with STATUS and the control socket listening" \
	"READY=1|STATUS=supervising 2 containers|ctl=ok" "$(printf '%s' "$msg1" | tr '\n' '|')"
check_match "supctl talks to supd once READY=1 came" "^supd [0-9.]+ pid $SUPD_PID$" "$(ctl version | sed -n 2p)"
wait_until 5 "a running" state_is a running
wait_until 5 "b running" state_is b running
check "nothing but READY=1 while running" 1 "$(grep -c '^--$' "$T/notify.out")"

kill -TERM "$SUPD_PID"
wait_until 5 "STOPPING=1 arrived after SIGTERM" grep -qx "STOPPING=1" "$T/notify.out"
SUPD_STATUS=0
wait "$SUPD_PID" || SUPD_STATUS=$?
SUPD_PID=
check "supd exited 0 after SIGTERM" 0 "$SUPD_STATUS"
msg2=$(awk 'n == 1 && !/^(--|ctl=.*)$/ { print } /^--$/ { n++ }' "$T/notify.out")
check "the second message is STOPPING=1 with STATUS" "STOPPING=1|STATUS=stopping containers" "$(printf '%s' "$msg2" | tr '\n' '|')"
check "two messages in all" 2 "$(grep -c '^--$' "$T/notify.out")"
check "the containers were stopped" "stopped stopped" "$(q "SELECT state FROM containers ORDER BY name" | tr '\n' ' ' | sed 's/ $//')"
check "no notify warning" 0 "$(grep -c 'NOTIFY_SOCKET' "$SUPD_LOG")"
stop_recv

# --- an abstract socket ---
ABSTRACT=@sup-test-notify-$$
start_recv "$ABSTRACT" "$T/abstract.out"
# An abstract socket has no file to wait for; wait for its /proc/net/unix entry.
wait_until 5 "notify-recv bound $ABSTRACT" grep -q " $ABSTRACT\$" /proc/net/unix
NOTIFY_SOCKET=$ABSTRACT start_supd
wait_until 5 "READY=1 arrived on the abstract socket" grep -qx "READY=1" "$T/abstract.out"
check "with the control socket listening" "ctl=ok" "$(grep '^ctl=' "$T/abstract.out" | head -1)"
stop_supd
check "supd exited 0" 0 "$SUPD_STATUS"
check "STOPPING=1 arrived on the abstract socket" 1 "$(grep -cx 'STOPPING=1' "$T/abstract.out")"
stop_recv

# --- nobody listening ---
NOTIFY_SOCKET=$T/nobody.sock start_supd
wait_until 5 "a running without a service manager" state_is a running
check_match "supctl works" "^supd [0-9.]+ pid $SUPD_PID$" "$(ctl version | sed -n 2p)"
check_match "the failed notification is a warning" "notifying the service manager.*ignoring" "$(cat "$SUPD_LOG")"
stop_supd
check "supd exited 0" 0 "$SUPD_STATUS"
finish
