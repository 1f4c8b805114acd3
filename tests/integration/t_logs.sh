#!/bin/bash
# Container logs: each line "TIME STREAM TEXT" (UTC, stdout/stderr), size
# rotation with log_max_size/log_keep, supctl logs -n and -f (new lines
# within 100 ms, across rotation), supctl events (filters, --json, -f
# within 100 ms), supctl kill, supctl version, and a full disk that drops
# output without stopping anything.
. "$(dirname "$0")/lib.sh"

write_config "log_max_size = 4K" "log_keep = 2" <<EOF
[container:talker]
rootfs = $ROOTFS
command = /bin/sh -c "echo out-line; echo err-line >&2; printf no-newline"
restart = no

[container:chatty]
rootfs = $ROOTFS
command = /bin/sh -c "i=0; while [ \$i -lt 400 ]; do echo line-\$i-padding-padding-padding; i=\$((i+1)); done"
restart = no

[container:ticker]
rootfs = $ROOTFS
command = /bin/sh -c "trap 'echo bye; exit 3' TERM; i=0; while :; do echo tick-\$i; i=\$((i+1)); sleep 0.3 & wait; done"
restart = no
stop_timeout = 2s
EOF
start_supd
wait_until 10 "talker exited" state_is talker exited
L=$(cat "$LOGDIR/talker.log")
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
check_match "stdout line has time and stream" "^$ts stdout out-line$" "$L"
check_match "stderr line has time and stream" "^$ts stderr err-line$" "$L"
check_match "a last line without newline is kept and ended" "^$ts stdout no-newline$" "$L"
check "every line is prefixed" 0 "$(grep -Evc "^$ts (stdout|stderr) " "$LOGDIR/talker.log")"

wait_until 10 "chatty exited" state_is chatty exited
sleep 0.2
check "rotated files exist, no more than log_keep" "chatty.log chatty.log.1 chatty.log.2" "$(cd "$LOGDIR" && ls chatty.log* | sort | tr '\n' ' ' | sed 's/ $//')"
for f in "$LOGDIR"/chatty.log*; do
	sz=$(stat -c %s "$f")
	[ "$sz" -le 4096 ] && pass "$(basename "$f") is within log_max_size ($sz bytes)" || fail "$(basename "$f") has $sz bytes"
done
check "the newest lines are in chatty.log" "line-399-padding-padding-padding" "$(log_text chatty | tail -1)"
check "logs -n 2" "line-398-padding-padding-padding line-399-padding-padding-padding" "$(ctl logs -n 2 chatty | sed -E 's/^[^ ]+ [^ ]+ //' | tr '\n' ' ' | sed 's/ $//')"
check "logs -n 0 prints nothing" "" "$(ctl logs -n 0 chatty)"

# logs -f: a new line reaches the follower within 100 ms of supd writing it.
wait_until 10 "ticker running" state_is ticker running
mkfifo "$T/follow.fifo"
# supctl itself in the background (not the ctl function's subshell), so $!
# is the process to end.
"$SUPCTL" -c "$CONF" logs -f -n 0 ticker > "$T/follow.fifo" &
FOLLOW=$!
stamp_lines() { while IFS= read -r line; do printf '%s %s\n' "$(( ${EPOCHREALTIME/./} / 1000 ))" "$line"; done; }
stamp_lines < "$T/follow.fifo" > "$T/follow.stamped" &
STAMPER=$!
sleep 1.5
kill $FOLLOW $STAMPER 2>/dev/null; wait $FOLLOW $STAMPER 2>/dev/null || true
n=$(wc -l < "$T/follow.stamped")
[ "$n" -ge 3 ] && pass "logs -f printed $n new lines" || fail "logs -f printed $n lines"
worst=0 parsed=0
while read -r got stamp _; do
	written=$(date -u -d "${stamp}" +%s%3N 2>/dev/null) || continue
	parsed=$((parsed + 1))
	lag=$((got - written)); [ $lag -gt $worst ] && worst=$lag
done < "$T/follow.stamped"
check "every followed line's time parsed" "$n" "$parsed"
[ $worst -lt $((100 * TIME_SCALE)) ] && pass "logs -f lag at most ${worst} ms" || fail "logs -f lag ${worst} ms"

# events: filters and JSON
check "events --json parses" 0 "$(ctl events --json | jq -e 'length > 0' >/dev/null; echo $?)"
check "events --container filters" "talker" "$(ctl events --json --container talker | jq -r '[.[].container] | unique | join(",")')"
check "events --since 1h includes today's" true "$(ctl events --since 1h --json | jq 'length > 0')"
check "events --since a future time is empty" "[]" "$(ctl events --since 2099-01-01 --json | tr -d ' \n')"
rc=0; ctl events --since yesterdayish >/dev/null 2>&1 || rc=$?
check "a bad --since is a usage error" 2 "$rc"

# events -f sees supctl kill's effect within 100 ms
mkfifo "$T/events.fifo"
"$SUPCTL" -c "$CONF" events -f --json --container ticker > "$T/events.fifo" 2>"$T/events.err" &
FOLLOW=$!
stamp_lines < "$T/events.fifo" > "$T/events.out" &
STAMPER=$!
sleep 0.3
check_match "supctl kill -s TERM" "^sent signal 15 to ticker" "$(ctl kill -s TERM ticker)"
wait_until 5 "ticker exited after SIGTERM" state_is ticker exited
check "its TERM trap's exit code" 3 "$(q "SELECT exit_code FROM runs WHERE container='ticker'")"
# Wait for the line rather than a fixed while (the lag is checked below from
# the stamps, not from how long this took).
wait_until 5 "events -f streamed the exit" grep -q '"type": "exited"' "$T/events.out" ||
	{ echo "--- events -f stderr:"; cat "$T/events.err"; echo "--- its output:"; cat "$T/events.out"; q "SELECT id, type FROM events WHERE container='ticker'"; }
kill $FOLLOW $STAMPER 2>/dev/null; wait $FOLLOW $STAMPER 2>/dev/null || true
# an event reaches the follower within 100 ms of being recorded
line=$(grep '"type": "exited"' "$T/events.out" | head -1)
if [ -n "$line" ]; then
	got=${line%% *}
	recorded=$(date -u -d "$(echo "${line#* }" | jq -r .time)" +%s%3N)
	lag=$((got - recorded))
	[ $lag -lt $((100 * TIME_SCALE)) ] && pass "events -f lag ${lag} ms" || fail "events -f lag ${lag} ms"
fi
check "events -f streamed the exit once" 1 "$(grep -c '"type": "exited"' "$T/events.out")"
rc=0; out=$(ctl kill talker 2>&1) || rc=$?
check "kill of a stopped container fails" 1 "$rc"
check_match "and says why" "not running" "$out"
check_match "supctl version" "^supctl [0-9.]+$" "$(ctl version | head -1)"
check_match "supctl version asks supd" "^supd [0-9.]+ pid $SUPD_PID$" "$(ctl version | sed -n 2p)"
finish
