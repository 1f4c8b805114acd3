#!/bin/bash
# A SIGKILLed supd loses nothing: containers keep running (no SIGPIPE, not
# blocked: the keeper drains their output), the next supd re-adopts the
# live ones (same pid, no second copy), records the exits and OOM kills
# that happened while it was down exactly once and with the real exit
# codes, and closes every run. Then a planned re-exec (supctl
# daemon-reexec, same pid) keeps everything supervised.
# Under a subreaper, so the orphans of the killed supd are reaped at once
# (this machine's PID 1 does not), as systemd would.
[ -n "${SUP_UNDER_SUBREAPER:-}" ] || exec env SUP_UNDER_SUBREAPER=1 "$SUP_BUILD/tests/subreaper" "$0" "$@"
. "$(dirname "$0")/lib.sh"
# The exit status of a process someone else reaped comes from the pidfd the
# keeper held (PIDFD_INFO_EXIT, Linux 6.15); before that it is lost.
kver=$(uname -r | awk -F. '{ print $1 * 100 + $2 }')
[ "$kver" -ge 615 ] && exact=1 || exact=0

write_config <<EOF
[container:steady]
rootfs = $ROOTFS
command = /bin/sh -c 'trap "exit 7" TERM; i=0; while :; do echo "line \$i"; i=\$((i+1)); sleep 0.02; done'

[container:quitter]
rootfs = $ROOTFS
command = /bin/sh -c 'echo up; sleep 3; exit 3'
restart = no

[container:oomer]
rootfs = $ROOTFS
command = /bin/sh -c 'echo up; sleep 3; exec /bin/probe eat 256'
memory_max = 32M
restart = no

[container:flaky]
rootfs = $ROOTFS
command = /bin/sh -c 'sleep 3; exit 1'
restart = on-failure
restart_delay = 100ms
EOF
start_supd
for c in steady quitter oomer flaky; do
	wait_until 10 "$c running" state_is $c running
done
steady_pid=$(q "SELECT pid FROM containers WHERE name='steady'")
old_supd=$SUPD_PID
kpid=$(cat "$T/run/keeper.sock.pid")
check "the keeper runs" supd-keeper "$(cat /proc/$kpid/comm 2>/dev/null)"

kill -KILL "$old_supd"
wait "$old_supd" 2>/dev/null || true
SUPD_PID=
# While no supd runs: quitter exits 3, oomer is OOM-killed, flaky fails,
# steady writes about 200 lines into a pipe nobody but the keeper reads.
sleep 4
kill -0 "$steady_pid" 2>/dev/null && pass "steady survived supd's death (no SIGPIPE)" || fail "steady died with supd"
lines_down=$(grep -c "stdout line" "$LOGDIR/steady.log")

mv "$SUPD_LOG" "$SUPD_LOG.1"
start_supd
wait_until 10 "steady adopted" sh -c "sqlite3 $DB \"SELECT count(*) FROM events WHERE container='steady' AND type='adopted'\" | grep -qx 1"
check "steady keeps its pid" "$steady_pid" "$(q "SELECT pid FROM containers WHERE name='steady'")"
check "steady is running" running "$(q "SELECT state FROM containers WHERE name='steady'")"
check "steady has one open run" 1 "$(q "SELECT count(*) FROM runs WHERE container='steady' AND ended_at IS NULL")"
check "the keeper is the same process" supd-keeper "$(cat /proc/$kpid/comm 2>/dev/null)"
wait_until 10 "quitter's exit recorded" sh -c "sqlite3 $DB \"SELECT count(*) FROM runs WHERE container='quitter' AND ended_at IS NOT NULL\" | grep -qx 1"
if [ $exact = 1 ]; then
	check "quitter's real exit code, though it ended while supd was down" "3|exited(3)" "$(q "SELECT exit_code || '|' || reason FROM runs WHERE container='quitter'")"
else
	check "quitter ended while supd was down: status unknown (kernel $(uname -r))" "|unknown (supervisor was down)" "$(q "SELECT ifnull(exit_code, '') || '|' || reason FROM runs WHERE container='quitter'")"
fi
check "quitter settled as exited" exited "$(q "SELECT state FROM containers WHERE name='quitter'")"
wait_until 10 "oomer's end recorded" sh -c "sqlite3 $DB \"SELECT count(*) FROM runs WHERE container='oomer' AND ended_at IS NOT NULL\" | grep -qx 1"
check "oomer: OOM kill while supd was down, counted once" "1|$([ $exact = 1 ] && echo 9)|1" "$(q "SELECT oom_killed || '|' || ifnull(signal, '') || '|' || oom_kills FROM runs WHERE container='oomer'")"
check "oomer's container counts one OOM kill" 1 "$(q "SELECT oom_kills FROM containers WHERE name='oomer'")"
wait_until 10 "flaky restarted by its policy" sh -c "sqlite3 $DB \"SELECT count(*) FROM runs WHERE container='flaky'\" | grep -qx 2"
check "flaky's first run ended with its real exit (or unknown before 6.15)" "$([ $exact = 1 ] && echo 1)" "$(q "SELECT ifnull(exit_code, '') FROM runs WHERE container='flaky' ORDER BY id LIMIT 1")"
check "no run left open but the live ones" 2 "$(q "SELECT count(*) FROM runs WHERE ended_at IS NULL")"
# Lines written while supd was down were drained into the log by the
# keeper; none is lost or duplicated across both hand-overs.
wait_until 5 "steady's log grows again" sh -c "[ \$(grep -c 'stdout line' $LOGDIR/steady.log) -gt $((lines_down + 20)) ]"
[ "$lines_down" -gt 50 ] && pass "the keeper logged $lines_down lines while supd was down" || fail "only $lines_down lines logged while supd was down"
gaps() { log_text steady | awk '/^line /{ if (n != "" && $2 != n + 1) bad++; n = $2 } END { print bad + 0 }'; }
check "steady's log: every line once, in order" 0 "$(gaps)"
cmdlines() { for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' 2>/dev/null < "$f"; echo; done; }
check "one steady process, not two" 1 "$(cmdlines | grep -c '^/bin/sh -c trap "exit 7" TERM')"

# Planned re-exec: same supd pid, same containers, nothing lost.
before=$(q "SELECT max(id) FROM runs")
out=$(ctl daemon-reexec) || fail "daemon-reexec failed: $out"
check_match "daemon-reexec reports the new image" "supd .* pid $SUPD_PID" "$out"
kill -0 "$SUPD_PID" && pass "supd kept its pid $SUPD_PID"
check "steady still the same pid" "$steady_pid" "$(q "SELECT pid FROM containers WHERE name='steady'")"
check "no new run for steady" 1 "$(q "SELECT count(*) FROM runs WHERE container='steady'")"
sleep 0.5
check "steady's log after re-exec: every line once, in order" 0 "$(gaps)"
# The keeper itself dies: supd starts a new one and hands it everything
# again, so a crash of supd right after still loses nothing.
kill -KILL "$kpid"
wait_until 5 "supd replaced the keeper" sh -c "k=\$(cat $T/run/keeper.sock.pid); [ \"\$k\" != $kpid ] && [ \"\$(cat /proc/\$k/comm)\" = supd-keeper ]"
kpid=$(cat "$T/run/keeper.sock.pid")
kill -KILL "$SUPD_PID"
wait "$SUPD_PID" 2>/dev/null || true
SUPD_PID=
sleep 1
kill -0 "$steady_pid" 2>/dev/null && pass "steady survived a supd crash after the keeper was replaced" || fail "steady died"
mv "$SUPD_LOG" "$SUPD_LOG.2"
start_supd
wait_until 10 "steady adopted again" sh -c "sqlite3 $DB \"SELECT count(*) FROM events WHERE container='steady' AND type='adopted'\" | grep -qx 3"
check "steady still the same pid" "$steady_pid" "$(q "SELECT pid FROM containers WHERE name='steady'")"
sleep 0.5
check "steady's log after the new keeper: every line once, in order" 0 "$(gaps)"
ctl stop steady >/dev/null
# steady is no longer supd's child (the last supd crashed): its exit code
# comes from the held pidfd on 6.15+. Before 6.15 supd reads it from the
# zombie's stat when it gets there before our subreaper reaps it, else it
# is unknown; a race either way, but never a wrong code.
steady_end=$(q "SELECT ifnull(r.exit_code, '') || '|' || c.state FROM runs r JOIN containers c ON c.name = r.container WHERE r.container='steady'")
if [ $exact = 1 ]; then
	check "steady's stop is recorded with its exact exit code" "7|stopped" "$steady_end"
else
	check_match "steady's stop is recorded (exit code 7 or unknown on $(uname -r))" '^7?\|stopped$' "$steady_end"
fi

stop_supd
check "supd exits 0" 0 "$SUPD_STATUS"
wait_until 5 "the keeper exits with the last supd" sh -c "! kill -0 $kpid 2>/dev/null"
check "no run left open" 0 "$(q "SELECT count(*) FROM runs WHERE ended_at IS NULL")"
check "integrity_check" ok "$(q "PRAGMA integrity_check")"
finish
