#!/bin/bash
# Restart policies: backoff doubling from restart_delay, the start limit
# putting a crash-looping container in 'failed', restart = always / no /
# on-failure, supctl stop during backoff, supctl start after failed.
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[container:crasher]
rootfs = $ROOTFS
command = /bin/probe exit 1
restart_delay = 100ms
restart_delay_max = 1s
start_limit = 4/60s

[container:clean-always]
rootfs = $ROOTFS
command = /bin/probe sleep 0.2 exit 0
restart = always
restart_delay = 50ms
start_limit = 100/60s

[container:clean-onfail]
rootfs = $ROOTFS
command = /bin/probe exit 0

[container:fail-no]
rootfs = $ROOTFS
command = /bin/probe exit 2
restart = no

[container:looper]
rootfs = $ROOTFS
command = /bin/probe sleep 0.4 exit 1
restart_delay = 300ms
restart_delay_max = 300ms
start_limit = 100/60s
stop_timeout = 1s

[container:slow]
rootfs = $ROOTFS
command = /bin/probe exit 3
restart_delay = 30s
EOF
start_supd
wait_until 15 "crasher hit its start limit" state_is crasher failed
check "crasher ran burst+1 times" 5 "$(q "SELECT count(*) FROM runs WHERE container='crasher'")"
check "restarts counted" 4 "$(q "SELECT restarts FROM containers WHERE name='crasher'")"
check "a 'failed' event says why" 1 "$(q "SELECT count(*) FROM events WHERE container='crasher' AND type='failed' AND detail LIKE 'start limit hit%'")"
delays=$(q "SELECT detail FROM events WHERE container='crasher' AND type='restart-scheduled' ORDER BY id" | sed 's/^in \([0-9]*\) ms.*/\1/' | tr '\n' ' ')
set -- $delays
ok=1
exp=100
for d in "$@"; do
	# exp .. exp+10% jitter
	if [ "$d" -lt "$exp" ] || [ "$d" -gt $((exp + exp / 10)) ]; then ok=0; fi
	exp=$((exp * 2)); [ $exp -gt 1000 ] && exp=1000
done
[ $ok = 1 ] && [ $# = 4 ] && pass "backoff doubles with jitter: $delays" || fail "backoff delays: $delays"

wait_until 10 "clean-always restarted twice" sh -c "[ \"\$(sqlite3 $DB \"SELECT restarts FROM containers WHERE name='clean-always'\")\" -ge 2 ]"
pass "restart = always restarts a clean exit"
wait_until 5 "clean-onfail exited" state_is clean-onfail exited
wait_until 5 "fail-no exited" state_is fail-no exited
sleep 0.5
check "on-failure does not restart exit 0" 1 "$(q "SELECT count(*) FROM runs WHERE container='clean-onfail'")"
check "restart = no does not restart a failure" 1 "$(q "SELECT count(*) FROM runs WHERE container='fail-no'")"

wait_until 5 "slow in backoff" state_is slow backoff
check "slow's delay is restart_delay (30 s + jitter)" 1 "$(q "SELECT count(*) FROM events WHERE container='slow' AND type='restart-scheduled' AND detail LIKE 'in 3____ ms%'")"
check "supctl stop during backoff" "slow stopped" "$(ctl stop slow)"
check "stopped, no restart pending" stopped "$(q "SELECT state FROM containers WHERE name='slow'")"

# looper restarts after short runs: its next child waits, cloned and
# placed, in the alternate group while the current run lives.
wait_until 10 "looper restarted" sh -c "[ \"\$(sqlite3 $DB \"SELECT restarts FROM containers WHERE name='looper'\")\" -ge 1 ]"
wait_until 10 "looper running" state_is looper running
groups_with_procs() {
	for d in $(cgroup_dirs); do
		for g in "$d"/looper "$d"/looper@1; do
			[ -n "$(cat "$g/cgroup.procs" 2>/dev/null)" ] && echo "${g##*/}"
		done
	done | sort -u | tr '\n' ' '
}
spare_parked() { [ "$(groups_with_procs)" = "looper looper@1 " ]; }
wait_until 5 "a spare parked beside the running looper" spare_parked
runs_before=$(q "SELECT count(*) FROM runs WHERE container='looper'")
check "supctl stop of looper" "looper stopped" "$(ctl stop looper)"
check "no group of looper is left, spare included" "" "$(for d in $(cgroup_dirs); do ls -d "$d"/looper* 2>/dev/null; done)"
sleep 0.5
check "no run started after the stop" "$runs_before" "$(q "SELECT count(*) FROM runs WHERE container='looper'")"

out=$(ctl start crasher 2>&1) || true
check_match "supctl start of a failed container starts it again" "crasher" "$out"
check "a new run after supctl start" 1 "$(q "SELECT count(*) > 5 FROM runs WHERE container='crasher'")"
finish
