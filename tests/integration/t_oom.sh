#!/bin/bash
# OOM kills are noticed at once, recorded truthfully and acted on by
# oom_policy; an OOM-killed container comes back by its restart policy.
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[container:hog]
rootfs = $ROOTFS
command = /bin/probe echo start eat 256 sleep 60
memory_max = 32M
restart = on-failure
restart_delay = 300ms

[container:tolerant]
rootfs = $ROOTFS
command = /bin/probe child-eat 256 echo survived sleep 60
memory_max = 32M
oom_policy = continue
restart = no
stop_timeout = 1s

[container:strict]
rootfs = $ROOTFS
command = /bin/probe child-eat 256 sleep 60
memory_max = 32M
oom_policy = kill
restart = no
EOF
start_supd

# hog: its own process is the victim.
wait_until 10 "hog's first run recorded as oom-killed" sh -c "[ \"\$(sqlite3 $DB \"SELECT oom_killed FROM runs WHERE container='hog' ORDER BY id LIMIT 1\")\" = 1 ]"
first="SELECT %s FROM runs WHERE container='hog' ORDER BY id LIMIT 1"
check "the main process died of SIGKILL" 9 "$(q "$(printf "$first" signal)")"
check_match "reason says oom-killed" "^oom-killed \(killed\(SIGKILL\), [0-9]+ OOM kill" "$(q "$(printf "$first" reason)")"
check_match "the run counted its OOM kill" "^[1-9]" "$(q "$(printf "$first" oom_kills)")"
check "an oom-kill event with the counters" 1 "$(q "SELECT count(*) > 0 FROM events WHERE container='hog' AND type='oom-kill' AND detail LIKE '%oom_kill%'")"
lag=$(q "SELECT CAST(ROUND((julianday(e.time) - julianday(r.started_at)) * 86400000) AS INTEGER) FROM events e, runs r WHERE e.container='hog' AND e.type='oom-kill' AND r.container='hog' ORDER BY e.id, r.id LIMIT 1")
[ "$lag" -lt $((1000 * TIME_SCALE)) ] && pass "OOM kill recorded ${lag} ms after the run started" || fail "OOM kill recorded ${lag} ms after the start"
check "restart-scheduled event after the OOM kill" 1 "$(q "SELECT count(*) > 0 FROM events WHERE container='hog' AND type='restart-scheduled' AND detail LIKE '%oom-killed%'")"
wait_until 10 "hog restarted" sh -c "[ \"\$(sqlite3 $DB \"SELECT restarts FROM containers WHERE name='hog'\")\" -ge 1 ]"
wait_until 10 "hog's second run" sh -c "[ \"\$(sqlite3 $DB \"SELECT count(*) FROM runs WHERE container='hog'\")\" -ge 2 ]"
# One statement, one snapshot: hog keeps being OOM-killed meanwhile.
both=$(q "SELECT (SELECT oom_kills FROM containers WHERE name='hog') || ' ' || (SELECT sum(oom_kills) FROM runs WHERE container='hog')")
check "containers.oom_kills equals the sum over runs (each kill counted once)" "${both#* }" "${both% *}"
check_match "supctl list shows the OOM count" "^hog +[a-z-]+ +[0-9-]+ +[0-9a-z-]+ +[0-9]+ +[1-9][0-9]* +[^ ]+$" "$(ctl list | grep '^hog')"

# tolerant: a child is the victim, the container keeps running.
wait_until 10 "tolerant's child was OOM-killed" log_has tolerant "child-ended signal=9"
wait_until 5 "tolerant carried on" log_has tolerant survived
check "tolerant is still running" running "$(q "SELECT state FROM containers WHERE name='tolerant'")"
wait_until 5 "tolerant's OOM kill recorded" sh -c "[ \"\$(sqlite3 $DB \"SELECT oom_kills FROM containers WHERE name='tolerant'\")\" -ge 1 ]"
check "tolerant's run is not marked oom-killed" 0 "$(q "SELECT oom_killed FROM runs WHERE container='tolerant'")"
check "oom-kill event for tolerant" 1 "$(q "SELECT count(*) > 0 FROM events WHERE container='tolerant' AND type='oom-kill'")"

# strict: a child is the victim, the whole container goes.
wait_until 10 "strict ended as a whole" state_is strict oom-killed
check "strict's run is oom-killed" 1 "$(q "SELECT oom_killed FROM runs WHERE container='strict'")"
check "strict's init died of SIGKILL" 9 "$(q "SELECT signal FROM runs WHERE container='strict'")"
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	# v2: the kernel killed the group (memory.oom.group), and the kill was
	# seen from memory.events, not inferred from the exit.
	check_match "strict's kill was a group kill" "oom_group_kill [1-9]" "$(q "SELECT detail FROM events WHERE container='strict' AND type='oom-kill' ORDER BY id LIMIT 1")"
fi

stop_supd
check "supd exits 0" 0 "$SUPD_STATUS"
check "no cgroup left after supd stopped" "" "$(cgroup_dirs)"
finish
