#!/bin/bash
# A full disk under log_dir: supd drops a container's output (one
# 'log-dropping' event) without stopping it or itself, keeps answering
# supctl, and writes again once there is room (one 'log-resumed' event with
# the bytes dropped). The full disk is real but private: supd runs in a
# mount namespace of its own where log_dir is a 256k tmpfs, most of it taken
# by a ballast file; the test makes room by deleting the ballast through
# /proc/PID/root, as an operator would.
. "$(dirname "$0")/lib.sh"

LINE=012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678 # 99
# log_max_size above the tmpfs: no rotation, the disk fills.
write_config "log_max_size = 1M" "log_keep = 1" <<EOF
[container:filler]
rootfs = $ROOTFS
command = /bin/sh -c "yes $LINE | head -n 20000; i=0; while :; do echo tick-\$i; i=\$((i+1)); sleep 0.2; done"
restart = no
stop_timeout = 500ms

[container:quiet]
rootfs = $ROOTFS
command = /bin/sh -c "while :; do sleep 0.2; done"
restart = no
stop_timeout = 500ms
EOF

# supd, started here instead of start_supd: unshare and sh exec, so $! is
# the pid that becomes supd.
mkdir -p "$LOGDIR"
unshare -m --propagation private sh -c '
	mount -t tmpfs -o size=256k tmpfs "$1" && head -c 163840 /dev/zero > "$1/ballast" && exec "$2" -c "$3"' \
	sh "$LOGDIR" "$SUPD" "$CONF" 2>"$SUPD_LOG" &
SUPD_PID=$!
for _ in $(seq 100); do
	[ -S "$SOCK" ] && break
	kill -0 "$SUPD_PID" 2>/dev/null || { echo "FAIL: supd exited at start:"; cat "$SUPD_LOG"; exit 1; }
	sleep 0.05
done
[ -S "$SOCK" ] || { echo "FAIL: supd did not open $SOCK within 5 s"; exit 1; }
check "the pid started is supd" "$(readlink -f "$SUPD")" "$(readlink -f "/proc/$SUPD_PID/exe")"
NSLOG=/proc/$SUPD_PID/root$LOGDIR # log_dir as supd sees it
check "supd's log_dir is its own tmpfs" tmpfs "$(findmnt -N "$SUPD_PID" -n -o FSTYPE --target "$LOGDIR")"
check "the host's log_dir is not" "" "$(findmnt -n -o TARGET --mountpoint "$LOGDIR" || true)"

# has_event CONTAINER TYPE (for wait_until, which runs it again each time)
has_event() { [ "$(q "SELECT count(*) FROM events WHERE container='$1' AND type='$2'")" -ge 1 ]; }
wait_until 10 "filler's output fills the disk: a log-dropping event" has_event filler log-dropping
check_match "its detail names the file and the error" "filler\.log: No space left on device" \
	"$(q "SELECT detail FROM events WHERE container='filler' AND type='log-dropping'")"
check "the disk is full" 0 "$(stat -f -c %a "$NSLOG")"
# Some ticks go nowhere while it is full.
sleep 1
check "supd warned once" 1 "$(grep -c "container 'filler': writing .*filler.log: No space left on device; dropping" "$SUPD_LOG")"
kill -0 "$SUPD_PID" && pass "supd still runs" || fail "supd is gone"
check_match "supctl version answers" "^supd [0-9.]+ pid $SUPD_PID$" "$(ctl version | sed -n 2p)"
check "filler running" running "$(q "SELECT state FROM containers WHERE name='filler'")"
check "quiet running" running "$(q "SELECT state FROM containers WHERE name='quiet'")"
check_match "supctl list" "^filler +running" "$(ctl list | grep '^filler')"
check "one log-dropping event, not one per write" 1 "$(q "SELECT count(*) FROM events WHERE type='log-dropping'")"
check "no log-resumed yet" 0 "$(q "SELECT count(*) FROM events WHERE type='log-resumed'")"
check "no tick reached the log while full" 0 "$(grep -c 'stdout tick-' "$NSLOG/filler.log" || true)"
check "filler's run goes on" 1 "$(q "SELECT count(*) FROM runs WHERE container='filler'")"

rm "$NSLOG/ballast"
wait_until 5 "room again: a log-resumed event" has_event filler log-resumed
check "one log-resumed event" 1 "$(q "SELECT count(*) FROM events WHERE type='log-resumed'")"
detail=$(q "SELECT detail FROM events WHERE container='filler' AND type='log-resumed'")
check_match "with the bytes dropped" "^[0-9]+ bytes dropped$" "$detail"
dropped=${detail%% *}
# 20000 lines of 100 bytes become 20000 x 132 with their prefixes, about
# 96k of which fit (less the ballast's 160k of the 256k); then a few ticks of
# about 40 each.
[ "$dropped" -ge 2500000 ] && [ "$dropped" -le 2640000 ] && pass "$dropped bytes dropped" \
	|| fail "$dropped bytes dropped, expected 2.5-2.64 million"
wait_until 5 "ticks reach the log again" grep -q 'stdout tick-' "$NSLOG/filler.log"
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
first_tick=$(grep -m1 -o 'tick-[0-9]*$' "$NSLOG/filler.log")
[ "${first_tick#tick-}" -ge 1 ] && pass "the first tick logged is $first_tick: the earlier ones were dropped" \
	|| fail "the first tick logged is $first_tick"
# Exact accounting: what reached the file before the first tick logged,
# plus what was dropped, is everything filler wrote (with prefixes of 32
# bytes) up to that tick: 20000 lines of 132 and ticks 0..N-1.
written=$(grep -a -b -o -m1 -E "$ts stdout tick-[0-9]+$" "$NSLOG/filler.log" | head -1 | cut -d: -f1)
# A newline supd may add to end the line the full disk cut is not output.
last_before=$(head -c "$written" "$NSLOG/filler.log" | tail -n 1)
if [ -n "$last_before" ] && ! printf '%s\n' "$last_before" | grep -Eq "^$ts stdout $LINE$" \
	&& [ "$(head -c "$written" "$NSLOG/filler.log" | tail -c 1 | od -An -c | tr -d ' ')" = '\n' ]; then
	written=$((written - 1))
fi
n=${first_tick#tick-}
produced=$((20000 * 132))
for ((k = 0; k < n; k++)); do produced=$((produced + 32 + 6 + ${#k})); done
check "bytes in the log ($written) + bytes reported dropped ($dropped) = bytes produced" "$produced" "$((written + dropped))"
sleep 0.5
bad=$(sed -n '/stdout tick-/,$p' "$NSLOG/filler.log" | grep -Ev "^$ts stdout tick-[0-9]+$" || true)
# The write that hit the full disk was partly done: the line it cut must
# not be glued to the first line written again.
[ -z "$bad" ] && pass "lines from the first tick on are whole ticks" \
	|| fail "lines from the first tick on are not all whole ticks (a line cut by the full disk, continued when writes resumed?): $(printf '%s\n' "$bad" | cut -c1-300 | head -3)"
check "the log's lines before the full disk are whole" 0 "$(grep -v 'stdout tick-' "$NSLOG/filler.log" | head -n -1 | grep -Evc "^$ts stdout $LINE$" || true)"
check "still one log-dropping event" 1 "$(q "SELECT count(*) FROM events WHERE type='log-dropping'")"

stop_supd
check "supd exited 0 on SIGTERM" 0 "$SUPD_STATUS"
check "both stopped" "stopped stopped" "$(q "SELECT state FROM containers ORDER BY name" | tr '\n' ' ' | sed 's/ $//')"
finish
