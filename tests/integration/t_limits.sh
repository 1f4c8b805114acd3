#!/bin/bash
# pids_max stops a fork bomb inside the container; cpu_max throttles.
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[container:bomb]
rootfs = $ROOTFS
command = /bin/probe forks 200 sleep 60
pids_max = 20
restart = no
stop_timeout = 1s

[container:spinner]
rootfs = $ROOTFS
command = /bin/probe spin 2 sleep 60
cpu_max = 0.2
restart = no
stop_timeout = 1s
EOF
start_supd
wait_until 10 "bomb reported" log_has bomb forked=
line=$(log_text bomb | grep forked=)
forked=$(echo "$line" | sed 's/forked=\([0-9]*\).*/\1/')
failed=$(echo "$line" | sed 's/.*failed=\([0-9]*\)/\1/')
[ "$forked" -le 19 ] && pass "pids_max capped the forks ($line)" || fail "pids_max did not hold: $line"
check "the rest of the forks failed" 200 "$((forked + failed))"
check "supd still answers" 0 "$(ctl list >/dev/null; echo $?)"

wait_until 10 "spinner running" state_is spinner running
pid=$(q "SELECT pid FROM containers WHERE name='spinner'")
cgline=$(grep -E '^[0-9]+:(cpu|cpu,cpuacct|):' /proc/$pid/cgroup | head -1)
rel=${cgline##*:}
if grep -q ':cpu[,:]' /proc/$pid/cgroup; then
	mnt=$(findmnt -n -t cgroup -o TARGET,OPTIONS | awk '{n=split($2,o,","); for(i=1;i<=n;i++) if(o[i]=="cpu") print $1}' | head -1)
else
	mnt=$(findmnt -n -t cgroup2 -o TARGET | head -1)
fi
stat=$mnt$rel/cpu.stat
check "cpu.stat of the container's group exists" 1 "$([ -f "$stat" ] && echo 1)"
wait_until 10 "spinner finished spinning" log_has spinner spun
throttled=$(awk '$1 == "nr_throttled" {print $2}' "$stat")
[ "${throttled:-0}" -gt 0 ] && pass "cpu_max throttled the spinner (nr_throttled=$throttled)" || fail "no throttling: $(cat "$stat")"
finish
