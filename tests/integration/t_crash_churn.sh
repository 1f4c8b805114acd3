#!/bin/bash
# supd SIGKILLed at random moments, ROUNDS times (default 50), then
# re-executed ROUNDS/2 times (daemon-reexec, SIGUSR2), while 50 containers
# churn through starts, exits and OOM kills. After every restart:
# each container runs at most once (never two copies), every long-running
# one runs exactly once, every open run's process is alive and no other
# process sits in the containers' cgroups, and the database passes
# integrity_check. At the end (clean stop): every run that really started
# (each writes a marker) is in the database exactly once, every exit with its
# real code, every OOM kill counted once, no run left open.
[ -n "${SUP_UNDER_SUBREAPER:-}" ] || exec env SUP_UNDER_SUBREAPER=1 "$SUP_BUILD/tests/subreaper" "$0" "$@"
. "$(dirname "$0")/lib.sh"
ROUNDS=${SUP_CHURN_ROUNDS:-50}

# A private copy of the rootfs: the containers write their markers into it.
cp -a "$ROOTFS" "$T/rootfs"
R=$T/rootfs
: > "$R/runs.log"
marker='u=$(cat /proc/sys/kernel/random/uuid)'
# section NAME COMMAND [KEYS]: a container that writes its start marker,
# then runs COMMAND, restarted always and soon.
section() {
	cat <<EOF
[container:$1]
rootfs = $R
command = /bin/sh -c '$marker; echo "start $1 \$u" >> /runs.log; $2'
restart = always
restart_delay = 50ms
${3:-}stop_timeout = 1s

EOF
}
churn=$'restart_delay_max = 200ms\nstart_limit = 100000/1s\n'
{
	for i in $(seq -w 1 15); do section "long-$i" 'exec sleep 100000'; done
	for i in $(seq -w 1 20); do
		section "exit-$i" "sleep 0.$((10#$i % 5 + 2)); echo \"end exit-$i \$u\" >> /runs.log; exit 3" "$churn"
	done
	for i in $(seq -w 1 15); do section "oom-$i" 'sleep 0.3; exec /bin/probe eat 64' $'memory_max = 16M\n'"$churn"; done
} | write_config

MEMCG=$(cgroup_dirs | grep -m1 memory || cgroup_dirs | head -1)
supd_alive() { kill -0 "$SUPD_PID" 2>/dev/null; }

# After a (re)start: supd answers once recovery is done (requests are
# served only after it).
wait_ready() {
	for _ in $(seq 200); do ctl version 2>/dev/null | grep -q "^supd " && return 0; sleep 0.05; done
	fail "supd did not answer after a restart"
	return 1
}

# The invariants that must hold at any moment once supd is up.
check_world() {
	local round=$1 bad=0 name dir procs n pid comm
	# Every open run's process is alive and is the container's, and each
	# container has at most one open run.
	local dup
	dup=$(q "SELECT count(*) FROM (SELECT container FROM runs WHERE ended_at IS NULL GROUP BY container HAVING count(*) > 1)")
	[ "$dup" = 0 ] || { fail "round $round: $dup container(s) with two open runs"; bad=1; }
	while IFS='|' read -r name pid; do
		[ -n "$name" ] || continue
		if ! kill -0 "$pid" 2>/dev/null; then
			# It may have just ended; supd records that within moments (the
			# machine may be loaded: give it 5 s).
			for _ in $(seq 50); do
				[ "$(q "SELECT count(*) FROM runs WHERE container='$name' AND pid=$pid AND ended_at IS NULL")" = 0 ] && break
				sleep 0.1
			done
			[ "$(q "SELECT count(*) FROM runs WHERE container='$name' AND pid=$pid AND ended_at IS NULL")" = 0 ] ||
				{ fail "round $round: open run of $name has no live pid $pid"; bad=1
				  cat "$T/supd.all" "$SUPD_LOG" | grep "'$name'" | tail -6
				  grep -E "ignoring|database|commit|recovered|keeper" "$SUPD_LOG" | head -20
				  q "SELECT id, pid, started_at, ended_at, reason FROM runs WHERE container='$name' ORDER BY id DESC LIMIT 3"; }
		fi
	done < <(q "SELECT container, pid FROM runs WHERE ended_at IS NULL")
	# No process in a container's groups but its open run's (and a parked
	# spare child of supd's, which has not run the command).
	for dir in "$MEMCG"/*/; do
		name=$(basename "$dir")
		procs=$(cat "$dir/cgroup.procs" 2>/dev/null) || continue
		n=0
		for pid in $procs; do
			comm=$(cat /proc/$pid/comm 2>/dev/null) || continue
			[ "$comm" = supd ] && continue
			n=$((n + 1))
		done
		[ $n -eq 0 ] && continue
		base=${name%@1}
		open=$(q "SELECT count(*) FROM runs WHERE container='$base' AND ended_at IS NULL AND cgroup LIKE '%/$name'")
		[ "$open" = 1 ] || { fail "round $round: $n process(es) in $name with no open run there (orphans)"; bad=1; }
	done
	# Long-running containers: exactly one sleep each.
	for i in $(seq -w 1 15); do
		n=0
		for dir in "$MEMCG/long-$i" "$MEMCG/long-$i@1"; do
			for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do
				[ "$(cat /proc/$pid/comm 2>/dev/null)" = sleep ] && n=$((n + 1))
			done
		done
		[ $n -le 1 ] || { fail "round $round: long-$i runs $n times"; bad=1; }
	done
	[ "$(q "PRAGMA integrity_check")" = ok ] || { fail "round $round: integrity_check"; bad=1; }
	return $bad
}

start_supd 20
wait_ready
for round in $(seq 1 $ROUNDS); do
	# Let it run a random while (0.2-1.4 s), then SIGKILL at that moment.
	sleep "0.$((RANDOM % 6 + 2))$((RANDOM % 10))"
	[ $((RANDOM % 2)) = 0 ] && sleep "0.$((RANDOM % 8))"
	kill -KILL "$SUPD_PID"
	wait "$SUPD_PID" 2>/dev/null || true
	cat "$SUPD_LOG" >> "$T/supd.all"
	# Down for a random while (0-0.7 s): exits and OOM kills happen meanwhile.
	sleep "0.$((RANDOM % 8))"
	start_supd 20
	wait_ready || break
	check_world "$round" || { echo "round $round: see above"; break; }
done
pass "$ROUNDS kill -9 rounds"
# The same churn through planned re-execs (daemon-reexec and SIGUSR2): the
# pid stays, and so must everything else.
for round in $(seq 1 $((ROUNDS / 2))); do
	sleep "0.$((RANDOM % 6 + 2))"
	if [ $((round % 2)) = 0 ]; then
		ctl daemon-reexec >/dev/null || fail "re-exec round $round: daemon-reexec failed"
	else
		kill -USR2 "$SUPD_PID"
		sleep 0.2
	fi
	supd_alive || { fail "re-exec round $round: supd is gone"; break; }
	wait_ready || break
	check_world "reexec-$round" || { echo "re-exec round $round: see above"; break; }
done
pass "$((ROUNDS / 2)) re-exec rounds, same pid $SUPD_PID"
# Every long container runs, once.
wait_until 10 "every long-running container is running" sh -c \
	"[ \$(sqlite3 $DB \"SELECT count(*) FROM containers WHERE name LIKE 'long-%' AND state='running'\") = 15 ]"
check_world final

stop_supd
check "supd exits 0 at the end" 0 "$SUPD_STATUS"
cat "$SUPD_LOG" >> "$T/supd.all"
check "no run left open" 0 "$(q "SELECT count(*) FROM runs WHERE ended_at IS NULL")"
check "integrity_check" ok "$(q "PRAGMA integrity_check")"
# What really happened, from the containers' own markers, against the DB.
started=$(grep -c '^start ' "$R/runs.log")
ran=$(q "SELECT count(*) FROM runs WHERE pid IS NOT NULL")
check "every run that started is recorded once ($started)" "$started" "$ran"
for kind in long exit oom; do
	check "$kind: runs recorded = runs started" "$(grep -c "^start $kind-" "$R/runs.log")" \
		"$(q "SELECT count(*) FROM runs WHERE container LIKE '$kind-%' AND pid IS NOT NULL")"
done
ended=$(grep -c '^end ' "$R/runs.log")
check "every exit(3) recorded with its code ($ended)" "$ended" "$(q "SELECT count(*) FROM runs WHERE container LIKE 'exit-%' AND exit_code = 3")"
unknown=$(q "SELECT count(*) FROM runs WHERE reason LIKE 'unknown%'")
check "no exit status lost (all reaped by the subreaper)" 0 "$unknown"
oom_runs=$(q "SELECT count(*) FROM runs WHERE container LIKE 'oom-%' AND oom_killed = 1")
oom_kills=$(q "SELECT sum(oom_kills) FROM containers WHERE name LIKE 'oom-%'")
check "each OOM kill counted once (containers.oom_kills = OOM-killed runs)" "$oom_runs" "$oom_kills"
check "runs.oom_kills agree" "$oom_runs" "$(q "SELECT sum(oom_kills) FROM runs WHERE container LIKE 'oom-%'")"
echo "oom: $oom_runs OOM-killed runs; exits: $ended; runs: $ran; rounds: $ROUNDS"
if [ $FAILURES -ne 0 ]; then
	q "SELECT id, container, pid, exit_code, signal, oom_killed, oom_kills, reason FROM runs WHERE oom_kills > 0 AND oom_killed = 0 OR oom_kills > 1" | head
	for c in $(q "SELECT name FROM containers"); do
		m=$(grep -c "^start $c " "$R/runs.log")
		r=$(q "SELECT count(*) FROM runs WHERE container='$c' AND pid IS NOT NULL")
		[ "$m" = "$r" ] && continue
		echo "$c: $m started, $r recorded"
		q "SELECT id, pid, started_at, ended_at, reason FROM runs WHERE container='$c' ORDER BY id" | tail -50
		grep -E "'$c'|recovered|killed pid|ran unrecorded" "$T/supd.all" | tail -60
	done
fi
finish
