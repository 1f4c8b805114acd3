#!/bin/bash
# init = yes: sup-init is PID 1 and the command its child. Without it, a
# command that never calls wait() collects its orphans as zombies and a
# shell that does not trap SIGTERM ignores it (PID 1 has no default signal
# actions), so stop waits out stop_timeout. With it, orphans are reaped,
# stop_signal reaches the command (and its process group) at once, and the
# recorded exit is the command's: exited(N), or exited(128+S) when signal S
# killed it. sup-init runs from supd's descriptor, so a read-only rootfs
# without it works.
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[container:reap-no]
rootfs = $ROOTFS
command = /bin/probe orphans 5 sleep 0.3 zombies sleep 60
restart = no
stop_timeout = 1s

[container:reap-yes]
rootfs = $ROOTFS
command = /bin/probe report orphans 5 sleep 0.3 zombies sleep 60
init = yes
readonly_rootfs = yes
restart = no
stop_timeout = 1s

[container:init-user]
rootfs = $ROOTFS
command = /bin/probe report sleep 60
init = yes
user = 1000:1000
restart = no
stop_timeout = 1s

[container:sh-no]
rootfs = $ROOTFS
command = /bin/sh -c "echo ready; sleep 1000"
restart = no
stop_timeout = 3s

[container:sh-yes]
rootfs = $ROOTFS
command = /bin/sh -c "echo ready; sleep 1000"
init = yes
restart = no
stop_timeout = 20s

[container:hup]
rootfs = $ROOTFS
command = /bin/sh -c "echo ready; sleep 1000"
init = yes
stop_signal = HUP
restart = no
stop_timeout = 20s

[container:trap]
rootfs = $ROOTFS
command = /bin/probe trap-term 7 echo ready sleep 60
init = yes
restart = no
stop_timeout = 20s

[container:exit3]
rootfs = $ROOTFS
command = /bin/sh -c "exit 3"
init = yes
restart = no

[container:kill9]
rootfs = $ROOTFS
command = /bin/sh -c "kill -9 \\\$\\\$"
init = yes
restart = no

[container:oom]
rootfs = $ROOTFS
command = /bin/probe echo start eat 256 sleep 60
init = yes
memory_max = 16M
restart = no

[container:oom-continue]
rootfs = $ROOTFS
command = /bin/probe echo start eat 256 sleep 60
init = yes
memory_max = 16M
oom_policy = continue
restart = no

[container:missing]
rootfs = $ROOTFS
command = /bin/no-such-command
init = yes
restart = no
EOF
start_supd
reason() { q "SELECT last_reason FROM containers WHERE name='$1'"; }
# supctl stop NAME; prints how long it took in ms
timed_stop() {
	local t0
	t0=$(now_ns)
	ctl stop "$1" >/dev/null
	echo $(( ($(now_ns) - t0) / 1000000 ))
}
wait_until 10 "reap-no counted zombies" log_has reap-no zombies=
wait_until 10 "reap-yes counted zombies" log_has reap-yes zombies=
check "without init, PID 1 leaves its orphans as zombies" "zombies=5" "$(log_text reap-no | grep zombies=)"
check "with init, the orphans are reaped" "zombies=0" "$(log_text reap-yes | grep zombies=)"
L=$(log_text reap-yes)
check "with init the command is not PID 1" 2 "$(printf '%s\n' "$L" | sed -n 's/^pid=//p')"
check "with init the command's parent is PID 1" 1 "$(printf '%s\n' "$L" | sed -n 's/^ppid=//p')"
pid=$(q "SELECT pid FROM containers WHERE name='reap-yes'")
check "sup-init runs the command with its arguments" "sup-init -- /bin/probe report" \
	"$(tr '\0' ' ' < /proc/$pid/cmdline | cut -d' ' -f1-4)"
check_match "PID 1 runs from a sealed copy, not the host's file" "^/memfd:sup-init" "$(readlink /proc/$pid/exe)"
check_match "supctl status shows init is on" "^Init: +yes" "$(ctl status reap-yes)"
check_match "supctl status shows init is off" "^Init: +no" "$(ctl status reap-no)"

wait_until 10 "init-user report" log_has init-user report-done
check "with init and user, the command runs as the user" "1000 1000" \
	"$(log_text init-user | sed -n 's/^uid=//p') $(log_text init-user | sed -n 's/^gid=//p')"
upid=$(q "SELECT pid FROM containers WHERE name='init-user'")
check "with init and user, sup-init runs as the user too" 1000 "$(awk '/^Uid:/ {print $2}' /proc/$upid/status)"

wait_until 10 "sh-no ready" log_has sh-no ready
wait_until 10 "sh-yes ready" log_has sh-yes ready
ms=$(timed_stop sh-yes)
[ $ms -lt 1500 ] && pass "with init, SIGTERM stops a shell script at once (${ms} ms, stop_timeout 20s)" ||
	fail "with init, stopping sh-yes took ${ms} ms"
check "with init, the shell's death by SIGTERM is recorded as 128+15" "exited(143)" "$(reason sh-yes)"
check "no stop-timeout for sh-yes" 0 "$(q "SELECT count(*) FROM events WHERE container='sh-yes' AND type='stop-timeout'")"
ms=$(timed_stop sh-no)
[ $ms -ge 3000 ] && pass "without init, the shell as PID 1 ignores SIGTERM until stop_timeout (${ms} ms)" ||
	fail "without init, sh-no stopped after ${ms} ms, before its 3 s stop_timeout"
check "without init, the shell was SIGKILLed" "killed(SIGKILL)" "$(reason sh-no)"

wait_until 10 "hup ready" log_has hup ready
ms=$(timed_stop hup)
[ $ms -lt 1500 ] && pass "stop_signal = HUP is forwarded (${ms} ms)" || fail "stopping hup took ${ms} ms"
check "the shell's death by SIGHUP is recorded as 128+1" "exited(129)" "$(reason hup)"

wait_until 10 "trap ready" log_has trap ready
ctl stop trap >/dev/null
check "the command's own SIGTERM handler ran" 1 "$(grep -c got-term "$LOGDIR/trap.log")"
check "the command's exit code is recorded" "exited(7)" "$(reason trap)"

wait_until 10 "exit3 ended" state_is exit3 exited
check "exit 3 is recorded as the command's" "exited(3)" "$(reason exit3)"
check "exit code column" 3 "$(q "SELECT last_exit_code FROM containers WHERE name='exit3'")"
wait_until 10 "kill9 ended" state_is kill9 exited
check "SIGKILL of the command is 128+9" "exited(137)" "$(reason kill9)"
wait_until 10 "missing ended" state_is missing exited
check "a command that cannot be found exits 127" "exited(127)" "$(reason missing)"
check_match "sup-init says why in the log" "sup-init: cannot run '/bin/no-such-command': No such file or directory" \
	"$(log_text missing)"
# The command's OOM death reaches supd as sup-init's exit 137 (with
# oom_policy = continue always; with kill, when sup-init exits before supd's
# SIGKILL reaches it): still an OOM kill.
for c in oom oom-continue; do
	wait_until 10 "$c ended" sh -c "[ \"\$(sqlite3 $DB \"SELECT ended_at IS NOT NULL FROM runs WHERE container='$c'\")\" = 1 ]"
	check "with init, an OOM kill of the command is an OOM kill ($c)" oom-killed "$(q "SELECT state FROM containers WHERE name='$c'")"
	check "with init, the run is marked OOM-killed ($c)" 1 "$(q "SELECT oom_killed FROM runs WHERE container='$c'")"
done
check_match "oom-continue: sup-init reported the command's SIGKILL" "^oom-killed \(exited\(137\)" "$(reason oom-continue)"

# A sup-init that cannot be found fails the start, saying where it looked.
stop_supd
write_config "init_path = $T/no-sup-init" <<EOF
[container:noinit-bin]
rootfs = $ROOTFS
command = /bin/true
init = yes
restart = no
EOF
start_supd
wait_until 10 "noinit-bin failed" state_is noinit-bin failed
check_match "the reason names init_path" "^init: sup-init '$T/no-sup-init': No such file or directory" "$(reason noinit-bin)"
finish
