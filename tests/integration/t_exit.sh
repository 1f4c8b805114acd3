#!/bin/bash
# How a run ended lands in the database: exit codes, signals, and a start
# that failed before execve (with the failing step and errno as reason).
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[container:code3]
rootfs = $ROOTFS
command = /bin/probe echo bye exit 3
restart = no

[container:signalled]
rootfs = $ROOTFS
command = /bin/probe sleep 60
restart = no

[container:missing]
rootfs = $ROOTFS
command = /bin/does-not-exist --flag
restart = no

[container:user]
rootfs = $ROOTFS
command = /bin/probe report
user = 1234:5678
workdir = /tmp
env = GREETING=hello world
restart = no
EOF
start_supd
wait_until 10 "code3 exited" state_is code3 exited
check "exit code in runs" 3 "$(q "SELECT exit_code FROM runs WHERE container='code3'")"
check "no signal in runs" "" "$(q "SELECT signal FROM runs WHERE container='code3'")"
check "reason" "exited(3)" "$(q "SELECT reason FROM runs WHERE container='code3'")"
check "ended_at set" 1 "$(q "SELECT ended_at IS NOT NULL FROM runs WHERE container='code3'")"
wait_until 5 "stdout reached the log" log_has code3 bye

wait_until 10 "signalled running" state_is signalled running
pid=$(q "SELECT pid FROM containers WHERE name='signalled'")
kill -KILL "$pid"
wait_until 10 "signalled exited" state_is signalled exited
check "signal in runs" 9 "$(q "SELECT signal FROM runs WHERE container='signalled'")"
check "reason names the signal" "killed(SIGKILL)" "$(q "SELECT reason FROM runs WHERE container='signalled'")"
check "pid cleared after exit" "" "$(q "SELECT pid FROM containers WHERE name='signalled'")"

wait_until 10 "missing failed" state_is missing failed
check_match "failed start reason names execve and errno" "^execve /bin/does-not-exist: No such file or directory$" \
	"$(q "SELECT reason FROM runs WHERE container='missing'")"
check "start-failed event" 1 "$(q "SELECT count(*) FROM events WHERE container='missing' AND type='start-failed'")"
out=$(ctl start missing 2>&1) && fail "supctl start of a failing container exited 0" || pass "supctl start of a failing container fails"
check_match "supctl start says why" "No such file or directory" "$out"

wait_until 10 "user exited" state_is user exited
L=$(log_text user)
check "uid from user=" 1234 "$(printf '%s\n' "$L" | sed -n 's/^uid=//p')"
check "gid from user=" 5678 "$(printf '%s\n' "$L" | sed -n 's/^gid=//p')"
check "workdir" /tmp "$(printf '%s\n' "$L" | sed -n 's/^cwd=//p')"
check "env with spaces" "hello world" "$(printf '%s\n' "$L" | sed -n 's/^env=GREETING=//p')"
finish
