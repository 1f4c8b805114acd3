#!/bin/bash
# SIGTERM to supd stops every container (stop_signal, then SIGKILL after
# stop_timeout), records it, exits 0, and leaves no process behind.
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[container:a]
rootfs = $ROOTFS
command = /bin/probe trap-term 0 sleep 60

[container:b]
rootfs = $ROOTFS
command = /bin/sh -c "sleep 100 & sleep 100 & wait"
stop_timeout = 1s

[container:c]
rootfs = $ROOTFS
command = /bin/probe ignore-term sleep 60
stop_timeout = 1s
EOF
start_supd
for n in a b c; do wait_until 10 "$n running" state_is $n running; done
pids=$(q "SELECT pid FROM containers WHERE pid IS NOT NULL")
check "three pids recorded" 3 "$(echo $pids | wc -w)"
# every process of container b (the shell and its two sleeps)
bpid=$(q "SELECT pid FROM containers WHERE name='b'")
# Re-read on every poll (a "$(...)" argument would be read once, before
# wait_until runs): b is "running" once its shell has exec'd, which can be
# before the shell has forked both sleeps.
wait_until 5 "b's two children exist" sh -c "[ \$(cat /proc/$bpid/task/*/children 2>/dev/null | wc -w) -ge 2 ]"
bkids=$(cat /proc/$bpid/task/*/children)
check "b has two children" 2 "$(echo $bkids | wc -w)"

t0=$(now_ns)
stop_supd
ms=$(( ($(now_ns) - t0) / 1000000 ))
check "supd exits 0 after SIGTERM" 0 "$SUPD_STATUS"
[ $ms -lt 5000 ] && pass "shutdown took ${ms} ms" || fail "shutdown took ${ms} ms"
for p in $pids $bkids; do
	if kill -0 "$p" 2>/dev/null && ! grep -q '^State:.*Z' /proc/$p/status; then
		fail "process $p is still alive after supd exited"
	fi
done
pass "no container process outlives supd"
check "every container is stopped" "a|stopped b|stopped c|stopped" "$(q "SELECT name||'|'||state FROM containers ORDER BY name" | tr '\n' ' ' | sed 's/ $//')"
check "no run left open" 0 "$(q "SELECT count(*) FROM runs WHERE ended_at IS NULL")"
check "supd-stopped event" 1 "$(q "SELECT count(*) FROM events WHERE type='supd-stopped'")"
[ ! -e "$SOCK" ] && pass "socket removed" || fail "socket $SOCK left behind"
finish
