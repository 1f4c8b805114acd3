# lib.sh - shared setup for integration tests (sourced). Each test gets its
# own temp dir with config, database, socket, logs; its own supd; and a trap
# that stops supd and removes everything. Needs root (namespaces, mounts).
set -eu

SUP_BUILD=${SUP_BUILD:?set SUP_BUILD to the build directory}
SUPD=$SUP_BUILD/supd
SUPCTL=$SUP_BUILD/supctl
ROOTFS=$SUP_BUILD/rootfs
TEST_NAME=$(basename "$0" .sh)

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $TEST_NAME needs root (namespaces, mounts, cgroups)"
	exit 77
fi
for tool in sqlite3 jq; do
	command -v $tool >/dev/null || { echo "FAIL: $TEST_NAME needs $tool (apt-get install $tool)"; exit 1; }
done

T=$(mktemp -d "/tmp/sup-$TEST_NAME.XXXXXX")
CONF=$T/supd.conf
DB=$T/state/sup.db
SOCK=$T/run/supd.sock
LOGDIR=$T/log
SUPD_PID=
SUPD_LOG=$T/supd.stderr
FAILURES=0
# Timeouts stretch under the emulated VM (vmtest sets VMRUN=1), which runs
# code several times slower than the host; the checks stay the same.
TIME_SCALE=${SUP_TIME_SCALE:-1}
[ "${VMRUN:-}" = 1 ] && [ -z "${SUP_TIME_SCALE:-}" ] && TIME_SCALE=5
# Below our own cgroup in every hierarchy; unique so tests can run side by side.
CGROUP_PARENT=sup-test-$TEST_NAME-$$

cleanup() {
	status=$?
	if [ -n "$SUPD_PID" ] && kill -0 "$SUPD_PID" 2>/dev/null; then
		kill -TERM "$SUPD_PID" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$SUPD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SUPD_PID" 2>/dev/null || true
	fi
	# Containers of a supd that had to be SIGKILLed: end them by the pids
	# the database recorded (ours only).
	if [ -f "$DB" ]; then
		for pid in $(sqlite3 "$DB" "SELECT pid FROM runs WHERE ended_at IS NULL AND pid > 0" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
	fi
	# The fd keeper of a supd that had to be SIGKILLed (ours: its pid file
	# is in this test's run_dir).
	kpid=$(cat "$T/run/keeper.sock.pid" 2>/dev/null || true)
	if [ -n "$kpid" ] && [ "$(cat /proc/$kpid/comm 2>/dev/null)" = supd-keeper ]; then
		kill -KILL "$kpid" 2>/dev/null || true
	fi
	# A sanitizer report from supd fails the test even if every check passed.
	if grep -Eq "ERROR: (Address|Leak)Sanitizer|runtime error:" "$SUPD_LOG" "$T"/supd.stderr.* 2>/dev/null; then
		echo "FAIL: supd reported a sanitizer error:"
		grep -E -A20 "ERROR: (Address|Leak)Sanitizer|runtime error:" "$SUPD_LOG" "$T"/supd.stderr.* 2>/dev/null | head -60
		[ $status -ne 0 ] || status=1
	fi
	if [ $status -ne 0 ] || [ $FAILURES -ne 0 ]; then
		echo "--- supd stderr ($SUPD_LOG) ---"
		tail -n 40 "$SUPD_LOG" 2>/dev/null || true
	fi
	# Groups of a supd that had to be SIGKILLed: remove them, deepest first.
	for d in $(cgroup_dirs); do
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	rm -rf "$T"
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The base group's directory in each mounted hierarchy that exists now.
cgroup_dirs() {
	local line ctrls own mnt
	while IFS=: read -r _ ctrls own; do
		if [ -z "$ctrls" ]; then
			mnt=$(findmnt -n -t cgroup2 -o TARGET | head -1)
		else
			mnt=$(findmnt -n -t cgroup -o TARGET,OPTIONS | awk -v c="$ctrls" '{n=split($2,o,","); for(i=1;i<=n;i++) if(o[i]==c) print $1}' | head -1)
		fi
		[ -n "$mnt" ] || continue
		own=${own%/supervisor}
		[ "$own" = / ] && own=
		[ -d "$mnt$own/$CGROUP_PARENT" ] && echo "$mnt$own/$CGROUP_PARENT"
	done < /proc/self/cgroup
	return 0
}

# write_config [EXTRA SUPD KEYS] < container sections
write_config() {
	mkdir -p "$T/conf.d"
	{
		echo "[supd]"
		echo "state_dir = $T/state"
		echo "run_dir = $T/run"
		echo "log_dir = $LOGDIR"
		echo "include = conf.d/*.conf"
		echo "cgroup_parent = $CGROUP_PARENT"
		for kv in "$@"; do echo "$kv"; done
		echo
		cat
	} > "$CONF"
}

# start_supd [TIMEOUT_S]: start it and wait for its socket (default 5 s).
start_supd() {
	local tries=$(( ${1:-5} * 20 * TIME_SCALE ))
	"$SUPD" -c "$CONF" 2>"$SUPD_LOG" &
	SUPD_PID=$!
	for _ in $(seq $tries); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$SUPD_PID" 2>/dev/null || { echo "FAIL: supd exited at start:"; cat "$SUPD_LOG"; exit 1; }
		sleep 0.05
	done
	echo "FAIL: supd did not open $SOCK within ${1:-5} s"
	exit 1
}

# stop_supd: SIGTERM and wait; sets SUPD_STATUS
stop_supd() {
	kill -TERM "$SUPD_PID"
	SUPD_STATUS=0
	wait "$SUPD_PID" || SUPD_STATUS=$?
	SUPD_PID=
}

ctl() { "$SUPCTL" -c "$CONF" "$@"; }
q() { sqlite3 "$DB" "$@"; }

fail() {
	echo "FAIL: $*"
	FAILURES=$((FAILURES + 1))
}

pass() { echo "ok: $*"; }

# Wall clock in ns from bash itself: busybox date (in the VM) has no %N.
now_ns() { local t=${EPOCHREALTIME/./}; echo "${t}000"; }

# check DESCRIPTION EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

# check_match DESCRIPTION PATTERN(grep -E) TEXT
check_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass "$1"; else fail "$1: '$3' does not match /$2/"; fi
}

# wait_until TIMEOUT_S DESCRIPTION COMMAND...: poll a condition in the test
# (the daemon under test never polls; the test may).
wait_until() {
	local timeout=$(( $1 * TIME_SCALE )) desc=$2
	shift 2
	local deadline=$(( $(now_ns) + timeout * 1000000000 ))
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(now_ns)" -gt "$deadline" ]; then
			fail "timed out after ${timeout}s waiting for: $desc"
			return 1
		fi
		sleep 0.02
	done
	pass "$desc"
}

# A container's log without the "TIME STREAM " prefix supd puts on each line.
log_text() { sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (stdout|stderr) //' "$LOGDIR/$1.log"; }

state_is() { [ "$(q "SELECT state FROM containers WHERE name='$1'")" = "$2" ]; }
log_has() { grep -q -- "$2" "$LOGDIR/$1.log" 2>/dev/null; }

finish() {
	if [ $FAILURES -ne 0 ]; then
		echo "$TEST_NAME: $FAILURES check(s) failed"
		exit 1
	fi
	echo "$TEST_NAME: all checks passed"
	exit 0
}
