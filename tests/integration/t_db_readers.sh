#!/bin/bash
# Dashboards reading the database while supd writes it as fast as it can:
# 50 containers crash-loop for about 8 s while one reader queries the views
# (db/migrations/0002) in a tight loop, another runs supctl list, and two
# more hold read transactions open for 3.5 s each. supd must never fail a
# write (no "recording ...: ... ignoring", no busy/locked error), readers
# must never fail either, and after a clean shutdown the history must add
# up: every run ended, and the events account for every run.
#
# The accounting follows what src/supervisor.c records:
#   each start is one run (sv_launch, or sv_enter_failed_spawn for a start
#     that failed before any process existed);
#   each run ends with exactly one of 'exited', 'start-failed', or 'stopped'
#     with detail 'pid N ...' (sv_enter_ended); a 'stopped' event with
#     detail 'restart cancelled' ends a backoff, not a run;
#   a run that got as far as running has one 'started' event 'pid N'; only a
#     run stopped while still starting (at shutdown) has none;
#   each 'restart-scheduled' is followed either by an automatic restart
#     (containers.restarts += 1, then a new run) or, at shutdown, by
#     'stopped' 'restart cancelled'.
. "$(dirname "$0")/lib.sh"

N=50
CHURN_S=8
HOLD_S=3.5

{
	for i in $(seq -w 1 $N); do
		cat <<EOF
[container:c$i]
rootfs = $ROOTFS
command = /bin/probe trap-term 0 sleep 0.05 exit 1
restart_delay = 20ms
restart_delay_max = 50ms
start_limit = 100000/1s
stop_timeout = 1s

EOF
	done
} | write_config

# One snapshot per statement, as a dashboard polling the views would do.
# The first two lines are checked: all 50 containers, and every snapshot
# consistent: a container is in a state with a process exactly when it has
# a run in progress (store_run_begin and store_run_end change both in one
# statement, so a reader must never see one without the other).
VIEW_QUERIES="
SELECT count(*) FROM v_containers;
SELECT count(*) FROM v_containers v JOIN containers c ON c.name = v.name
 WHERE (v.state IN ('starting', 'running', 'stopping')) <> (c.current_run IS NOT NULL)
    OR (v.uptime_s IS NULL) <> (c.current_run IS NULL);
SELECT * FROM v_containers ORDER BY name;
SELECT coalesce(sum(restarts), 0) FROM v_restarts_per_hour;
SELECT * FROM v_oom_kills_per_hour;
SELECT * FROM v_failed;
SELECT count(*) FROM v_recent_events;
SELECT * FROM v_recent_events LIMIT 20;
"

# view_reader SECONDS: query the views in a loop with the sqlite3 CLI; writes
# "ITERATIONS ERRORS" to $T/views.result and failures to $T/views.err.
view_reader() {
	local end=$(( $(now_ns) + $1 * 1000000000 )) n=0 errs=0 out
	while [ "$(now_ns)" -lt "$end" ]; do
		n=$((n + 1))
		# As db/README.md asks of dashboards: a busy timeout rides out the
		# rare instant SQLite answers a WAL reader BUSY (a WAL restart).
		if ! out=$(sqlite3 -readonly -cmd '.timeout 1000' "$DB" "$VIEW_QUERIES" 2>&1); then
			errs=$((errs + 1))
			printf 'iteration %d: sqlite3 failed: %s\n' "$n" "$(printf '%s' "$out" | tail -n 3)" >>"$T/views.err"
			continue
		fi
		if [ "$(printf '%s\n' "$out" | sed -n 1p)" != "$N" ] || [ "$(printf '%s\n' "$out" | sed -n 2p)" != 0 ]; then
			errs=$((errs + 1))
			printf 'iteration %d: unexpected: %s\n' "$n" "$(printf '%s\n' "$out" | head -n 2 | tr '\n' ' ')" >>"$T/views.err"
		fi
	done
	echo "$n $errs" >"$T/views.result"
}

# supctl_reader SECONDS: supctl list (store_open_readonly) in a loop.
supctl_reader() {
	local end=$(( $(now_ns) + $1 * 1000000000 )) n=0 errs=0 out
	while [ "$(now_ns)" -lt "$end" ]; do
		n=$((n + 1))
		if ! out=$(ctl list --json 2>&1) || [ "$(printf '%s' "$out" | jq length 2>/dev/null)" != "$N" ]; then
			errs=$((errs + 1))
			printf 'iteration %d: %s\n' "$n" "$(printf '%s' "$out" | tail -n 3)" >>"$T/supctl.err"
		fi
	done
	echo "$n $errs" >"$T/supctl.result"
}

# long_reader NAME [sqlite3 options]: BEGIN, read, keep the transaction
# open for HOLD_S while supd writes, read again, COMMIT. Each read prints
# the event count and the time it ran ('now' is taken per statement), so
# the test can tell that the snapshot held and that supd wrote meanwhile.
long_reader() {
	local name=$1
	shift
	{
		echo "BEGIN;"
		echo "SELECT count(*), strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM events;"
		sleep "$HOLD_S"
		echo "SELECT count(*), strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM events;"
		echo "COMMIT;"
	} | sqlite3 "$@" "$DB" >"$T/$name.out" 2>&1
	echo $? >"$T/$name.rc"
}

start_supd
wait_until 10 "every container started at least once" \
	sh -c "[ \"\$(sqlite3 -readonly $DB 'SELECT count(DISTINCT container) FROM runs')\" = $N ]"

t0=$(now_ns)
view_reader "$CHURN_S" &
VIEWS_PID=$!
supctl_reader "$CHURN_S" &
SUPCTL_PID=$!
sleep 1
long_reader long_ro -readonly &
LONG_RO_PID=$!
sleep 0.5
# A dashboard that forgot -readonly: its read transaction must not block
# supd either (WAL readers take no lock a writer needs).
long_reader long_rw &
LONG_RW_PID=$!

for p in $VIEWS_PID $SUPCTL_PID $LONG_RO_PID $LONG_RW_PID; do wait "$p" || true; done
elapsed_ms=$(( ($(now_ns) - t0) / 1000000 ))
wal_bytes=$(stat -c %s "$DB-wal" 2>/dev/null || echo '?')
kill -0 "$SUPD_PID" 2>/dev/null && pass "supd still running after ${elapsed_ms} ms of churn" || fail "supd died during the churn"

stop_supd
check "supd exits 0 after SIGTERM" 0 "$SUPD_STATUS"

# --- supd never failed a write --------------------------------------------
bad=$(grep -Ei "recording|counting restart|database is locked|SQLITE_BUSY|busy|locked" "$SUPD_LOG" || true)
check "no failed database write in supd's log" "" "$(printf '%s' "$bad" | head -n 5)"

# --- the readers ----------------------------------------------------------
read -r v_n v_errs <"$T/views.result" || { v_n=0; v_errs="no result (the reader died)"; }
[ "$v_n" -ge 20 ] && pass "view reader ran $v_n times" || fail "view reader ran only $v_n times"
check "view reader: no failed or inconsistent query" 0 "$v_errs"
[ -s "$T/views.err" ] && head -n 5 "$T/views.err"
read -r s_n s_errs <"$T/supctl.result" || { s_n=0; s_errs="no result (the reader died)"; }
[ "$s_n" -ge 10 ] && pass "supctl list ran $s_n times" || fail "supctl list ran only $s_n times"
check "supctl list: no failure" 0 "$s_errs"
[ -s "$T/supctl.err" ] && head -n 5 "$T/supctl.err"

for name in long_ro long_rw; do
	check "$name: sqlite3 exit status" 0 "$(cat "$T/$name.rc" 2>/dev/null)"
	out=$(cat "$T/$name.out" 2>/dev/null || true)
	first=$(printf '%s\n' "$out" | sed -n 1p)
	second=$(printf '%s\n' "$out" | sed -n 2p)
	check "$name: the snapshot held for ${HOLD_S}s (same event count)" "${first%%|*}" "${second%%|*}"
	during=$(q "SELECT count(*) FROM events WHERE time > '${first#*|}' AND time < '${second#*|}'")
	[ "${during:-0}" -gt 0 ] && pass "$name: supd recorded $during events while it held the snapshot" ||
		fail "$name: no events recorded while the read transaction was open ('$out')"
done

# --- the history adds up --------------------------------------------------
runs=$(q "SELECT count(*) FROM runs")
# Churn means every container ran a few times: 35-55 each here, 9-15 under
# ASan, 5 under ASan with the CPUs loaded; 2 each is the floor that still
# says the restarts went on while the readers read.
[ "$runs" -ge $((N * 2)) ] && pass "$runs runs recorded" || fail "only $runs runs: the containers did not churn"
check "no run left open" 0 "$(q "SELECT count(*) FROM runs WHERE ended_at IS NULL")"
check "no container with a current run or pid" 0 "$(q "SELECT count(*) FROM containers WHERE current_run IS NOT NULL OR pid IS NOT NULL")"
check "every container stopped" "stopped $N" "$(q "SELECT group_concat(state || ' ' || n, ', ') FROM (SELECT state, count(*) AS n FROM containers GROUP BY state)")"

# Per container: a line for each one where an identity does not hold.
per_container=$(q "
WITH ev AS (
    SELECT container,
           sum(type = 'started') AS started,
           sum(type = 'exited') AS exited,
           sum(type = 'start-failed') AS start_failed,
           sum(type = 'stopped' AND detail LIKE 'pid %') AS stopped_run,
           sum(type = 'stopped' AND detail = 'restart cancelled') AS cancelled,
           sum(type = 'restart-scheduled') AS scheduled
    FROM events WHERE container IS NOT NULL GROUP BY container
), r AS (
    SELECT container, count(*) AS runs FROM runs GROUP BY container
)
SELECT c.name || ': runs ' || r.runs || ', restarts ' || c.restarts ||
       ', started ' || ev.started || ', exited ' || ev.exited || ', start-failed ' || ev.start_failed ||
       ', stopped ' || ev.stopped_run || ', restart-scheduled ' || ev.scheduled || ', cancelled ' || ev.cancelled
FROM containers c JOIN r ON r.container = c.name JOIN ev ON ev.container = c.name
WHERE r.runs <> c.restarts + 1
   OR r.runs <> ev.exited + ev.start_failed + ev.stopped_run
   OR ev.scheduled <> c.restarts + ev.cancelled
   OR ev.started + ev.start_failed > r.runs
   OR r.runs - ev.started - ev.start_failed > 1
ORDER BY c.name;")
check "per container: runs = restarts + 1 = exited + start-failed + stopped; restart-scheduled = restarts + cancelled" "" "$per_container"
check "every container has runs and events" "$N $N" "$(q "SELECT (SELECT count(DISTINCT container) FROM runs) || ' ' || (SELECT count(DISTINCT container) FROM events WHERE type = 'started')")"

# Each run that reached running has its own 'started' event (pid and time
# inside the run); only a container's last run may lack one (stopped while
# starting at shutdown); no 'started' event is left over.
check "every run but a last one stopped while starting has its 'started' event" 0 "$(q "
SELECT count(*) FROM runs r
WHERE r.pid IS NOT NULL
  AND r.id <> (SELECT max(id) FROM runs WHERE container = r.container)
  AND NOT EXISTS (SELECT 1 FROM events e
                  WHERE e.container = r.container AND e.type = 'started' AND e.detail = 'pid ' || r.pid
                    AND e.time >= r.started_at AND e.time <= r.ended_at)")"
check "every 'started' event belongs to a run" 0 "$(q "
SELECT count(*) FROM events e
WHERE e.type = 'started'
  AND NOT EXISTS (SELECT 1 FROM runs r
                  WHERE r.container = e.container AND e.detail = 'pid ' || r.pid
                    AND e.time >= r.started_at AND e.time <= r.ended_at)")"
check "runs that lack a 'started' event ended by a stop" 0 "$(q "
SELECT count(*) FROM runs r
WHERE r.pid IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM events e
                  WHERE e.container = r.container AND e.type = 'started' AND e.detail = 'pid ' || r.pid
                    AND e.time >= r.started_at AND e.time <= r.ended_at)
  AND NOT EXISTS (SELECT 1 FROM events e
                  WHERE e.container = r.container AND e.type = 'stopped' AND e.detail LIKE 'pid ' || r.pid || ' %')")"
check "supd-started and supd-stopped recorded once" "1 1" "$(q "SELECT sum(type = 'supd-started') || ' ' || sum(type = 'supd-stopped') FROM events")"

# --- the views agree with the tables --------------------------------------
check "v_containers: every container, no uptime after shutdown" "$N 0" "$(q "SELECT count(*) || ' ' || count(uptime_s) FROM v_containers")"
check "v_restarts_per_hour adds up to containers.restarts (no manual starts here)" \
	"$(q "SELECT sum(restarts) FROM containers")" "$(q "SELECT sum(restarts) FROM v_restarts_per_hour")"
check "v_restarts_per_hour: starts are the runs" "$runs" "$(q "SELECT sum(starts) FROM v_restarts_per_hour")"
check "v_oom_kills_per_hour: none" 0 "$(q "SELECT count(*) FROM v_oom_kills_per_hour")"
check "v_failed: none" 0 "$(q "SELECT count(*) FROM v_failed")"
# The newest 1000, or all of them when a slow machine (ASan, a loaded CI
# runner) recorded fewer in the churn: the event count depends on speed.
check "v_recent_events: the newest 1000" "$(q "SELECT min(count(*), 1000) || ' ' || max(id) FROM events")" "$(q "SELECT count(*) || ' ' || max(id) FROM v_recent_events")"

echo "info: $runs runs, $(q "SELECT count(*) FROM events") events in ${elapsed_ms} ms; WAL file $wal_bytes bytes after the churn"
finish
