#!/bin/bash
# A container flooding stdout as fast as it can must not starve anything
# else on supd's loop: over ~4 s, a second container's line every 50 ms is
# logged without a gap over 250 ms, supctl answers (list from the database
# and version over the control socket) within 0.5 s, and the flood itself
# reaches the log at more than 20 MB/s, rotated at log_max_size with whole
# lines. Prints "flood: N MB/s, max tick gap M ms, supctl ... ms".
. "$(dirname "$0")/lib.sh"

LINE=0123456789012345678901234567890123456789012345678901234567890123456789
MAX=$((64 << 20))
write_config "log_max_size = 64M" "log_keep = 1" <<EOF
[container:flood]
rootfs = $ROOTFS
command = /bin/sh -c "exec yes $LINE"
restart = no
stop_timeout = 500ms

[container:ticker]
rootfs = $ROOTFS
command = /bin/sh -c "while :; do echo tick; sleep 0.05; done"
restart = no
stop_timeout = 500ms
EOF
start_supd
wait_until 5 "flood running" state_is flood running
wait_until 5 "ticker running" state_is ticker running
wait_until 5 "the flood reaches its log" test -s "$LOGDIR/flood.log"

# Bytes that reached flood.log over the window, across rotations: sample
# its inode and size; when the inode changed, the old file is flood.log.1
# (log_keep = 1) and its rest counts too. The sampling is far faster than
# one 64M file fills, so a file is never missed (checked).
F=$LOGDIR/flood.log
sample() { # prints "INODE SIZE [INODE.1 SIZE.1]"; retries over a rotation's rename
	local s
	for _ in 1 2 3 4 5; do
		s=$(stat -c '%i %s' "$F" "$F.1" 2>/dev/null | tr '\n' ' ') && [ -n "$s" ] && { echo "$s"; return; }
		# flood.log.1 may not exist yet: then flood.log alone
		s=$(stat -c '%i %s' "$F" 2>/dev/null) && { echo "$s"; return; }
		sleep 0.001
	done
	echo "0 0"
}
ms_of_day() { echo $(( ${EPOCHREALTIME/./} / 1000 % 86400000 )); }

DURATION_MS=4000
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }

# supctl, timed, every 0.4 s in a background subshell of its own (so the
# sampling below keeps its pace): "LIST_MS VERSION_MS LIST_OK VERSION_OK".
probe_ctl() {
	local start=$1 a list version
	while [ "$(ms_since "$start")" -lt $DURATION_MS ]; do
		a=$(now_ns); list=$(ctl list 2>&1 || true); list_ms=$(ms_since "$a")
		a=$(now_ns); version=$(ctl version 2>&1 || true); version_ms=$(ms_since "$a")
		printf '%s\n' "$list" | grep -Eq '^flood +running' && list=1 || list=0
		printf '%s\n' "$version" | grep -q "^supd .* pid $SUPD_PID$" && version=1 || version=0
		echo "$list_ms $version_ms $list $version"
		sleep 0.4
	done
}
PROBER=
trap 'rc=$?; [ -z "$PROBER" ] || { kill "$PROBER" 2>/dev/null; wait "$PROBER" 2>/dev/null; }; set +e; (exit $rc); cleanup' EXIT

missed=0
read -r ino size _ <<< "$(sample)"
t0=$(now_ns)
t0_tod=$(ms_of_day)
probe_ctl "$t0" > "$T/ctl.lat" &
PROBER=$!
total=0
while [ "$(ms_since "$t0")" -lt $DURATION_MS ]; do
	read -r i s i1 s1 <<< "$(sample)"
	if [ "$i" = "$ino" ]; then
		total=$((total + s - size))
	elif [ "${i1:-}" = "$ino" ]; then
		total=$((total + s1 - size + s))
	else
		# Two rotations or more since the last sample: the old file was
		# filled to about MAX, flood.log.1 is a whole one; any more are
		# not counted (the figure is then a lower bound).
		total=$((total + MAX - size + ${s1:-0} + s))
		missed=$((missed + 1))
	fi
	ino=$i size=$s
	sleep 0.01
done
t1=$(now_ns)
t1_tod=$(ms_of_day)
wait "$PROBER"
PROBER=
elapsed_ms=$(( (t1 - t0) / 1000000 ))
mbps=$(( total * 1000 / elapsed_ms / 1000000 ))
read -r n_ctl worst_list worst_version ctl_bad <<< "$(awk '
	{ n++; if ($1 > l) l = $1; if ($2 > v) v = $2; if (!$3 || !$4) bad++ }
	END { printf "%d %d %d %d\n", n, l, v, bad }' "$T/ctl.lat")"
check "supctl list showed the flood running and version answered, each time" 0 "$ctl_bad"

# The ticker's lines within the window: their times (taken by supd as it
# read them) as ms of the day, relative to the window's start.
gaps=$(sed -n 's/^[0-9-]*T\([0-9:.]*\)Z stdout tick$/\1/p' "$LOGDIR/ticker.log" | awk -F'[:.]' -v t0="$t0_tod" -v t1="$t1_tod" '
	function rel(t) { t = (t - t0) % 86400000; if (t < 0) t += 86400000; return t }
	{ t = rel((($1 * 60 + $2) * 60 + $3) * 1000 + $4) }
	t <= rel(t1) { if (n++) { g = t - prev; if (g > max) max = g } prev = t }
	END { printf "%d %d\n", n, max }')
read -r n_ticks max_gap <<< "$gaps"

echo "flood: $mbps MB/s ($total bytes into flood.log* in $elapsed_ms ms$([ $missed = 0 ] || echo ", a lower bound: $missed samples saw 2+ rotations")), max tick gap $max_gap ms ($n_ticks ticks), supctl list at most $worst_list ms, supctl version at most $worst_version ms ($n_ctl each)"
[ "$n_ticks" -ge 20 ] && pass "the ticker logged $n_ticks lines in the window" || fail "the ticker logged only $n_ticks lines in ${elapsed_ms} ms"
[ "$max_gap" -lt $((250 * TIME_SCALE)) ] && pass "max tick gap $max_gap ms" || fail "max tick gap $max_gap ms (limit $((250 * TIME_SCALE)))"
[ "$n_ctl" -ge 5 ] && pass "supctl asked $n_ctl times" || fail "supctl asked only $n_ctl times"
[ "$worst_list" -lt $((500 * TIME_SCALE)) ] && pass "supctl list answered within $worst_list ms" || fail "supctl list took $worst_list ms"
[ "$worst_version" -lt $((500 * TIME_SCALE)) ] && pass "supctl version answered within $worst_version ms" || fail "supctl version took $worst_version ms"
[ "$mbps" -gt $((20 / TIME_SCALE)) ] && pass "flood: $mbps MB/s into the log" || fail "flood: only $mbps MB/s into the log"

stop_supd
check "supd exited 0" 0 "$SUPD_STATUS"
check "both stopped" "stopped stopped" "$(q "SELECT state FROM containers ORDER BY name" | tr '\n' ' ' | sed 's/ $//')"
check "rotated files, no more than log_keep" "flood.log flood.log.1" "$(cd "$LOGDIR" && ls flood.log* | sort | tr '\n' ' ' | sed 's/ $//')"
for f in "$F" "$F.1"; do
	sz=$(stat -c %s "$f")
	[ "$sz" -le $MAX ] && pass "$(basename "$f") within log_max_size ($sz bytes)" || fail "$(basename "$f") has $sz bytes"
done
# Whole lines, each with its prefix, at both ends of both files; the last
# line of flood.log may be the one cut by the stop, ended with a newline.
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
bad=$( { head -n 2000 "$F.1"; tail -n 2000 "$F.1"; head -n -1 "$F" | head -n 2000; head -n -1 "$F" | tail -n 2000; } | grep -Ev "^$ts stdout $LINE$" || true)
[ -z "$bad" ] && pass "lines at the ends of both files are whole and prefixed" \
	|| fail "lines at the ends of the files are not all whole: $(printf '%s\n' "$bad" | cut -c1-200 | head -3)"
check_match "the last line, cut by the stop, is prefixed and ended" "^$ts stdout [0-9]*$" "$(tail -n 1 "$F")"
check "no tick is lost or mangled" 0 "$(grep -Evc "^$ts stdout tick$" "$LOGDIR/ticker.log" || true)"
finish
