#!/bin/bash
# A container has no controlling terminal, even when supd runs on one (in a
# terminal, like etc/run-example): it leads a session of its own, so it
# cannot open the operator's terminal as /dev/tty (nor type into the shell
# there with TIOCSTI), and the terminal's Ctrl-C does not reach it.
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || { echo "FAIL: $TEST_NAME needs script(1) (apt-get install bsdutils)"; exit 1; }

write_config <<EOF2
[container:tty]
rootfs = $ROOTFS
command = /bin/probe try-write /dev/tty x echo probe-done sleep 60
restart = no
stop_timeout = 1s
EOF2

# supd in a session whose controlling terminal is a pty: script(1) runs it
# there and copies the terminal's output to /dev/null.
script -qfec "exec $SUPD -c $CONF 2>$SUPD_LOG" /dev/null </dev/null >/dev/null &
SCRIPT_PID=$!
for _ in $(seq 100); do
	SUPD_PID=$(awk '{print $1}' "/proc/$SCRIPT_PID/task/$SCRIPT_PID/children" 2>/dev/null || true)
	[ -n "$SUPD_PID" ] && [ "$(cat "/proc/$SUPD_PID/comm" 2>/dev/null)" = supd ] && break
	SUPD_PID=
	sleep 0.05
done
[ -n "$SUPD_PID" ] || { echo "FAIL: supd did not start under script"; cat "$SUPD_LOG"; exit 1; }
tty_nr() { awk '{print $7}' "/proc/$1/stat"; }
check "supd has a controlling terminal" 1 "$([ "$(tty_nr "$SUPD_PID")" != 0 ] && echo 1)"

wait_until 10 "the probe ran" log_has tty probe-done
pid=$(q "SELECT pid FROM containers WHERE name='tty'")
outcome=$(log_text tty | grep -F -- "try-write /dev/tty -> " | sed 's/.* -> //')
check "the container cannot open supd's terminal as /dev/tty" ENXIO "$outcome"
check "the container leads a session of its own" "$pid" "$(awk '{print $6}' "/proc/$pid/stat")"
check "the container has no controlling terminal" 0 "$(tty_nr "$pid")"

# supd is script's child, not ours: stop it by pid and wait for script.
kill -TERM "$SUPD_PID"
wait "$SCRIPT_PID" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$SUPD_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$SUPD_PID" 2>/dev/null && fail "supd did not stop" || pass "supd stopped"
SUPD_PID=
finish
