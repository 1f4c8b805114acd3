#!/bin/bash
# The database failing under supd (README "Database"):
#  (a) a damaged file at start: supd refuses with one line naming the file
#      and what to do, exits 1, and leaves the file as it was;
#  (b) a read-only database (read-only mount) at start, or a full disk and no
#      database yet: refused the same way;
#  (c) the disk under state_dir fills while containers churn: supd goes on
#      supervising, keeps the changes in memory, and once there is room every
#      run and event is in the database, in order, with a db-error and a
#      db-recovered event;
#  (d) another process holds the write lock for seconds while containers
#      churn: supctl start/stop/list stay quick, nothing is missing after;
#  (e) kill -9 of supd in the middle of heavy writes leaves a database that
#      passes integrity_check and that supd starts on again;
#  (f) the database files made immutable (chattr +i) while containers churn:
#      as (d), with SQLite's "disk I/O error".
# The ground truth for "nothing is missing" is supd's own log: one "running,
# pid N" line per run, which the runs table must match pid for pid, in order.
. "$(dirname "$0")/lib.sh"

churn_config() {
	write_config <<EOF
[container:churn1]
rootfs = $ROOTFS
command = /bin/sh -c "sleep 0.05; exit 3"
restart = always
restart_delay = 10ms
restart_delay_max = 40ms
start_limit = 1000000/1s
stop_timeout = 500ms

[container:churn2]
rootfs = $ROOTFS
command = /bin/sh -c "sleep 0.08; exit 0"
restart = always
restart_delay = 10ms
restart_delay_max = 40ms
start_limit = 1000000/1s
stop_timeout = 500ms

[container:idle]
rootfs = $ROOTFS
command = /bin/sh -c "trap 'exit 0' TERM; while :; do sleep 0.05; done"
restart = no
autostart = no
stop_timeout = 500ms
EOF
}

# run_refused DESCRIPTION PATTERN: supd must exit 1 at once with one line
# matching PATTERN.
run_refused() {
	local status=0 out
	out=$(timeout 10 "$SUPD" -c "$CONF" 2>&1) || status=$?
	check "$1: exit status" 1 "$status"
	check "$1: one line" 1 "$(printf '%s\n' "$out" | wc -l)"
	check_match "$1: says why and what to do" "$2" "$out"
}

# --- (a) damaged files at start ------------------------------------------
churn_config
mkdir -p "$T/state"
head -c 16384 /dev/urandom > "$DB"
sum=$(md5sum < "$DB")
run_refused "random bytes" "^supd: database: $DB: file is not a database; .*move it .* away.*restore"
check "the file is untouched" "$sum" "$(md5sum < "$DB")"

# A real database with damaged pages in the middle.
rm -f "$DB"*
start_supd
sleep 0.3
stop_supd
for i in $(seq 300); do echo "INSERT INTO events (time, type, detail) VALUES (strftime('%Y-%m-%dT%H:%M:%fZ'), 'filler', printf('%.400c', 'x'));"; done | q
q "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
size=$(stat -c %s "$DB")
dd if=/dev/urandom of="$DB" bs=4096 seek=$((size / 4096 / 2)) count=4 conv=notrunc status=none
sum=$(md5sum < "$DB")
run_refused "damaged pages" "^supd: database: $DB: .*(corrupt|malformed).*restore one from a backup"
check "the damaged file is untouched" "$sum" "$(md5sum < "$DB")"
rm -f "$DB"*

# --- (b) read-only at start ------------------------------------------------
# Root writes any file whatever its mode, so the read-only case is a
# read-only bind mount of state_dir in a mount namespace of supd's own.
ro_supd() {
	unshare -m --propagation private sh -c \
		'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" -c "$3"' sh "$T/state" "$SUPD" "$CONF" 2>&1
}
status=0; out=$(ro_supd) || status=$?
check "read-only state_dir, no database yet: exit status" 1 "$status"
check_match "it says so" "^supd: database: $DB: open: unable to open database file \(Read-only file system\); supd must be able to write" "$out"
start_supd
stop_supd
status=0; out=$(ro_supd) || status=$?
check "read-only database: exit status" 1 "$status"
check_match "it says so" "^supd: database: $DB: the database is read-only \(Read-only file system\); supd must be able to write" "$out"

# A full filesystem and no database yet: nothing to supervise with.
rm -f "$DB"*
status=0
out=$(unshare -m --propagation private sh -c \
	'mount -t tmpfs -o size=64k tmpfs "$1" && { cat /dev/zero > "$1/ballast" 2>/dev/null; exec "$2" -c "$3"; }' \
	sh "$T/state" "$SUPD" "$CONF" 2>&1) || status=$?
check "full disk, no database yet: exit status" 1 "$status"
check_match "it says so" "^supd: database: $DB: .*database or disk is full; make room on its filesystem$" "$out"

# --- helpers for the churn parts ---------------------------------------------

# check_runs_match_log NAME (after NAME was stopped): the runs of NAME in
# the database are exactly the runs supd logged, pid for pid and in order,
# each with its end event. Every run ends with one log line, "pid N
# exited(..)" or "pid N stopped, ..."; "running, pid N" is missing for a run
# stopped while it was starting.
check_runs_match_log() {
	local ended recorded n
	ended=$(sed -n "s/^.*container '$1': pid \([0-9]*\) \(exited\|killed\|stopped\).*$/\1/p" "$SUPD_LOG" | tr '\n' ' ')
	recorded=$(q "SELECT pid FROM runs WHERE container = '$1' ORDER BY id" | tr '\n' ' ')
	n=$(printf '%s' "$ended" | wc -w)
	[ "$n" -ge 5 ] && pass "$1 ran $n times" || fail "$1 ran only $n times, the test did not churn"
	check "$1: the runs recorded are the runs logged, in order" "$ended" "$recorded"
	check "$1: their end events, in order" "$ended" \
		"$(q "SELECT substr(detail, 5, instr(substr(detail, 5), ' ') - 1) FROM events WHERE container = '$1' AND type IN ('exited', 'stopped') AND detail LIKE 'pid %' ORDER BY id" | tr '\n' ' ')"
	check "$1: one 'started' event per run that reached running" "$(grep -c "container '$1': running, pid" "$SUPD_LOG")" \
		"$(q "SELECT count(*) FROM events WHERE container = '$1' AND type = 'started'")"
	check "$1: every run ended" 0 "$(q "SELECT count(*) FROM runs WHERE container = '$1' AND ended_at IS NULL")"
	check "$1: restarts = runs - 1" "$((n - 1))" "$(q "SELECT restarts FROM containers WHERE name = '$1'")"
	check "$1: events in time order" 0 \
		"$(q "SELECT count(*) FROM events a JOIN events b ON b.container = a.container AND b.id > a.id WHERE a.container = '$1' AND b.time < a.time")"
}

# max_latency_ms COMMAND...: run it 10 times, print the slowest in ms.
max_latency_ms() {
	local max=0 t0 t1 ms
	for _ in $(seq 10); do
		t0=$(now_ns)
		"$@" >/dev/null 2>&1 || { echo "failed: $*"; return; }
		t1=$(now_ns)
		ms=$(((t1 - t0) / 1000000))
		[ $ms -gt $max ] && max=$ms
	done
	echo $max
}

# check_control_latency WHILE: supctl stop+start of idle stays quick.
check_control_latency() {
	local ms
	ms=$(max_latency_ms sh -c "$SUPCTL -c $CONF stop idle && $SUPCTL -c $CONF start idle")
	[ "$ms" -lt "$LATENCY_MAX_MS" ] 2>/dev/null && pass "supctl stop+start while $1: max $ms ms" \
		|| fail "supctl stop+start while $1: max $ms ms (limit $LATENCY_MAX_MS)"
}

# stop_and_check_runs: stop every container, then compare with the log.
stop_and_check_runs() {
	ctl stop churn1 >/dev/null
	ctl stop churn2 >/dev/null
	ctl stop idle >/dev/null
	check_runs_match_log churn1
	check_runs_match_log churn2
}

has_event() { [ "$(q "SELECT count(*) FROM events WHERE type = '$1'")" -ge 1 ]; }
supd_said() { grep -q -- "$1" "$SUPD_LOG"; }
# The loop must answer fast; 2 s leaves room for a loaded machine, while a
# 5 s busy wait per turn (what supd did before) would blow it.
LATENCY_MAX_MS=$((2000 * TIME_SCALE))

# --- (d) a stuck writer ------------------------------------------------------
# An existing database (made by a supd without containers), locked before
# supd starts: it starts anyway.
rm -f "$DB"*
write_config </dev/null
start_supd
stop_supd
churn_config
# The sqlite3 shell holds BEGIN IMMEDIATE until the release file appears.
sqlite3 "$DB" >/dev/null <<EOF &
.timeout 5000
BEGIN IMMEDIATE;
.shell touch $T/locked; while [ ! -e $T/release ]; do sleep 0.05; done
COMMIT;
EOF
HOLDER=$!
wait_until 5 "the lock is taken" test -e "$T/locked"
start_supd
wait_until 5 "supd starts and runs containers with the database locked" supd_said "container 'churn1': running, pid"
wait_until 5 "supd notices the lock" supd_said "cannot commit: database is locked"
check_control_latency "locked"
lat_list=$(max_latency_ms ctl list)
[ "$lat_list" -lt "$LATENCY_MAX_MS" ] 2>/dev/null && pass "supctl list while locked: max $lat_list ms" \
	|| fail "supctl list while locked: max $lat_list ms (limit $LATENCY_MAX_MS)"
check_match "supctl list warns that the database is behind" "warning: supd cannot write the database \(failing since .*database is locked" \
	"$(ctl list 2>&1 >/dev/null)"
check_match "supd's status file for supctl, next to the socket" "^$SUPD_PID failing since .*: database is locked" \
	"$(cat "$SOCK.db-failing")"
check_match "supctl start answers from memory" "^idle running pid [0-9]+$" "$(ctl stop idle >/dev/null; ctl start idle)"
sleep 1
check "no db-error committed while locked" 0 "$(q "SELECT count(*) FROM events WHERE type = 'db-error'")"
touch "$T/release"
wait "$HOLDER"
wait_until 10 "supd catches up: a db-recovered event" has_event db-recovered
check_match "db-error says why, with a count" "^cannot commit: database is locked \(Device or resource busy\); [0-9]+ writes waiting in memory$" \
	"$(q "SELECT detail FROM events WHERE type = 'db-error'")"
check_match "db-recovered has the counts" "^after [0-9]+ ms and [0-9]+ failed attempts: [1-9][0-9]* writes caught up, 0 dropped" \
	"$(q "SELECT detail FROM events WHERE type = 'db-recovered'")"
check "supd logged one failure line" 1 "$(grep -c 'cannot commit: database is locked' "$SUPD_LOG")"
check "and one recovery line" 1 "$(grep -c 'commits again after' "$SUPD_LOG")"
check "no warning from supctl list now" "" "$(ctl list 2>&1 >/dev/null)"
check "the status file is gone" no "$([ -e "$SOCK.db-failing" ] && echo yes || echo no)"
stop_and_check_runs
check "idle's runs match the log too" "$(grep -c "container 'idle': running" "$SUPD_LOG")" "$(q "SELECT count(*) FROM runs WHERE container = 'idle'")"
stop_supd
check "supd exited 0" 0 "$SUPD_STATUS"
check "the last event is supd-stopped" supd-stopped "$(q "SELECT type FROM events ORDER BY id DESC LIMIT 1")"

# --- (f) the files made read-only while supd runs -----------------------------
# chattr +i: even root's writes through supd's open descriptors fail (EPERM,
# SQLite's "disk I/O error"). Needs a filesystem with inode flags (ext4, xfs).
rm -f "$DB"*
start_supd
wait_until 5 "churn1 has run" has_event started
if chattr +i "$DB" "$DB-wal" 2>/dev/null; then
	trap 'st=$?; set +e; chattr -i "$DB" "$DB-wal" 2>/dev/null; (exit $st); cleanup' EXIT
	wait_until 10 "supd notices" supd_said "cannot commit: disk I/O error"
	sleep 1
	check_control_latency "the files are read-only"
	chattr -i "$DB" "$DB-wal"
	wait_until 10 "supd catches up: a db-recovered event" has_event db-recovered
	check_match "db-error says why" "^cannot commit: disk I/O error" "$(q "SELECT detail FROM events WHERE type = 'db-error'")"
	stop_and_check_runs
	check "integrity_check" ok "$(q 'PRAGMA integrity_check')"
else
	echo "skip: $T is on a filesystem without chattr +i; the read-only-while-running part did not run"
fi
stop_supd
check "supd exited 0" 0 "$SUPD_STATUS"

# --- (c) disk full -------------------------------------------------------------
# state_dir is a 16 MB tmpfs (room for the 4 MB of WAL after which SQLite
# checkpoints) in supd's own mount namespace; the test fills it
# and frees it through /proc/PID/root, as an operator would.
rm -f "$DB"* "$T/release"
: > "$SUPD_LOG"
unshare -m --propagation private sh -c 'mount -t tmpfs -o size=16m tmpfs "$1" && exec "$2" -c "$3"' \
	sh "$T/state" "$SUPD" "$CONF" 2>"$SUPD_LOG" &
SUPD_PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || { echo "FAIL: supd did not start"; exit 1; }
# The database as supd sees it: SQLite resolves the /proc/PID/root link,
# so readers go into supd's mount namespace instead.
q() { nsenter -t "$SUPD_PID" -m sqlite3 "$DB" "$@"; }
ns_ctl() { nsenter -t "$SUPD_PID" -m "$SUPCTL" -c "$CONF" "$@"; }
NSSTATE=/proc/$SUPD_PID/root$T/state
check "supd's state_dir is its own tmpfs" tmpfs "$(findmnt -N "$SUPD_PID" -n -o FSTYPE --target "$T/state")"
wait_until 5 "churn1 has run" has_event started
cat /dev/zero > "$NSSTATE/ballast" 2>/dev/null || true
check "the disk is full" 0 "$(stat -f -c %a "$NSSTATE")"
wait_until 10 "supd notices the full disk" supd_said "cannot commit: database or disk is full"
sleep 1.5 # churn on while full
kill -0 "$SUPD_PID" && pass "supd still runs" || fail "supd is gone"
check_control_latency "the disk is full"
check_match "supctl list answers (from the database, with a warning)" "^churn1 " "$(ns_ctl list 2>/dev/null | grep '^churn1')"
check_match "the warning names the error" "disk is full" "$(ns_ctl list 2>&1 >/dev/null)"
rm "$NSSTATE/ballast"
wait_until 10 "supd catches up: a db-recovered event" has_event db-recovered
check_match "db-error says the disk is full" "^cannot commit: database or disk is full \(No space left on device\)" \
	"$(q "SELECT detail FROM events WHERE type = 'db-error'")"
check_match "db-recovered has the counts" "writes caught up, 0 dropped" "$(q "SELECT detail FROM events WHERE type = 'db-recovered'")"
stop_and_check_runs
check "db-error before db-recovered" 1 \
	"$(q "SELECT (SELECT id FROM events WHERE type = 'db-error') < (SELECT id FROM events WHERE type = 'db-recovered')")"
check "integrity_check" ok "$(q 'PRAGMA integrity_check')"
stop_supd
check "supd exited 0" 0 "$SUPD_STATUS"
q() { sqlite3 "$DB" "$@"; }

# --- (e) kill -9 during heavy writes ---------------------------------------------
rm -f "$DB"*
: > "$SUPD_LOG"
write_config <<EOF
$(for i in 1 2 3 4 5 6; do printf '[container:burst%s]\nrootfs = %s\ncommand = /bin/sh -c \"exit 0\"\nrestart = always\nrestart_delay = 1ms\nrestart_delay_max = 1ms\nstart_limit = 1000000/1s\n\n' $i "$ROOTFS"; done)
EOF
start_supd
wait_until 5 "the bursts run" has_event started
sleep 1.5
runs_before=$(q "SELECT count(*) FROM runs")
kill -KILL "$SUPD_PID"
wait "$SUPD_PID" || true
SUPD_PID=
[ "$runs_before" -ge 20 ] && pass "$runs_before runs recorded before the kill" || fail "only $runs_before runs before the kill"
check "integrity_check after kill -9" ok "$(q 'PRAGMA integrity_check')"
: > "$SUPD_LOG"
start_supd
check "supd starts again on it" "" "$(grep -i 'corrupt\|malformed' "$SUPD_LOG" || true)"
sleep 0.3
stop_supd
check "supd exited 0" 0 "$SUPD_STATUS"
check "integrity_check after the restart" ok "$(q 'PRAGMA integrity_check')"
finish
