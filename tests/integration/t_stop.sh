#!/bin/bash
# supctl stop sends stop_signal and waits; a container that ignores it is
# SIGKILLed after stop_timeout. start/restart go through the socket and
# wait until the container runs. A stopped container stays stopped.
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[container:polite]
rootfs = $ROOTFS
command = /bin/probe trap-term 7 echo ready sleep 60
stop_timeout = 10s

[container:stubborn]
rootfs = $ROOTFS
command = /bin/probe ignore-term echo ready sleep 60
stop_timeout = 1s

[container:hup]
rootfs = $ROOTFS
command = /bin/sh -c "trap 'echo got-hup; exit 5' HUP; echo ready; sleep 60 & wait"
stop_signal = HUP
stop_timeout = 5s

[container:manual]
rootfs = $ROOTFS
command = /bin/probe sleep 60
autostart = no
stop_timeout = 1s
EOF
start_supd
wait_until 10 "polite ready" log_has polite ready
wait_until 10 "stubborn ready" log_has stubborn ready
wait_until 10 "hup ready" log_has hup ready

t0=$(now_ns)
out=$(ctl stop polite)
ms=$(( ($(now_ns) - t0) / 1000000 ))
check "stop of polite succeeds" "polite stopped" "$out"
check "state after stop" stopped "$(q "SELECT state FROM containers WHERE name='polite'")"
check "polite got its stop signal" 1 "$(grep -c got-term "$LOGDIR/polite.log")"
check "polite exit code recorded" 7 "$(q "SELECT exit_code FROM runs WHERE container='polite'")"
[ $ms -lt 3000 ] && pass "polite stopped promptly (${ms} ms)" || fail "polite took ${ms} ms to stop"

t0=$(now_ns)
ctl stop stubborn >/dev/null
ms=$(( ($(now_ns) - t0) / 1000000 ))
check "stubborn saw SIGTERM and ignored it" 1 "$(grep -c ignored-term "$LOGDIR/stubborn.log")"
check "stubborn was SIGKILLed" 9 "$(q "SELECT signal FROM runs WHERE container='stubborn'")"
[ $ms -ge 1000 ] && [ $ms -lt 4000 ] && pass "SIGKILL came after stop_timeout (${ms} ms)" || fail "stubborn stop took ${ms} ms, want 1000..4000"
check "stop-timeout event" 1 "$(q "SELECT count(*) FROM events WHERE container='stubborn' AND type='stop-timeout'")"

ctl stop hup >/dev/null
check "stop_signal = HUP reached the container" 1 "$(grep -c got-hup "$LOGDIR/hup.log")"
check "its HUP trap's exit code is recorded" 5 "$(q "SELECT exit_code FROM runs WHERE container='hup'")"

check "autostart = no leaves it stopped" stopped "$(q "SELECT state FROM containers WHERE name='manual'")"
out=$(ctl start manual)
check_match "supctl start waits until running" "^manual running pid [0-9]+$" "$out"
check "state after start" running "$(q "SELECT state FROM containers WHERE name='manual'")"
pid1=$(q "SELECT pid FROM containers WHERE name='manual'")
kill -0 "$pid1" && pass "started pid is alive" || fail "started pid $pid1 is not alive"
out=$(ctl start manual)
check "start of a running container is a no-op" "manual running pid $pid1" "$out"
out=$(ctl restart manual)
pid2=$(q "SELECT pid FROM containers WHERE name='manual'")
check_match "restart reports the new pid" "^manual running pid $pid2$" "$out"
[ "$pid1" != "$pid2" ] && pass "restart made a new process" || fail "restart kept pid $pid1"
check "two runs recorded for manual" 2 "$(q "SELECT count(*) FROM runs WHERE container='manual'")"
check "stop of a stopped container is ok" "polite stopped" "$(ctl stop polite)"

sleep 0.5
check "a stopped container is not restarted" stopped "$(q "SELECT state FROM containers WHERE name='polite'")"
out=$(ctl stop nosuch 2>&1) && fail "stop of unknown container exited 0" || pass "stop of unknown container fails"
check_match "unknown container error names it" "no container named 'nosuch'" "$out"
finish
