#!/bin/bash
# supctl list/status read the database (also while supd is down) and agree
# with it; --json parses; usage errors exit 2, failures 1 with one line.
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[container:web]
rootfs = $ROOTFS
command = /bin/httpd -f -p 127.0.0.1:18080 -h /var/www
network = host
memory_max = 64M
stop_timeout = 1s

[container:done]
rootfs = $ROOTFS
command = /bin/probe exit 4
restart = no

[container:idle]
rootfs = $ROOTFS
command = /bin/probe sleep 60
autostart = no
EOF
start_supd
wait_until 10 "web running" state_is web running
wait_until 10 "done exited" state_is done exited
wait_until 5 "httpd answers" bash -c "exec 3<>/dev/tcp/127.0.0.1/18080"

J=$(ctl list --json)
echo "$J" | jq -e . >/dev/null && pass "list --json is valid JSON" || fail "list --json: $J"
check "list --json names, sorted" "done idle web" "$(echo "$J" | jq -r '.[].name' | tr '\n' ' ' | sed 's/ $//')"
check "list --json keys" "name oom_kills pid restarts state uptime" \
	"$(echo "$J" | jq -r '.[0] | keys[]' | grep -E '^(name|state|pid|uptime|restarts|oom_kills)$' | sort | tr '\n' ' ' | sed 's/ $//')"
for n in web done idle; do
	db=$(q "SELECT state||'|'||ifnull(pid,'null')||'|'||restarts||'|'||oom_kills FROM containers WHERE name='$n'")
	js=$(echo "$J" | jq -r ".[] | select(.name==\"$n\") | \"\(.state)|\(.pid)|\(.restarts)|\(.oom_kills)\"")
	check "list --json matches the database for $n" "$db" "$js"
done
check "uptime is a number while running" number "$(echo "$J" | jq -r '.[] | select(.name=="web") | .uptime | type')"
check "uptime is null when not running" null "$(echo "$J" | jq -r '.[] | select(.name=="done") | .uptime | type')"

T1=$(ctl list)
check "list header" "NAME STATE PID UPTIME RESTARTS OOM MEMORY" "$(echo "$T1" | head -1 | tr -s ' ')"
check_match "list row for web, memory usage/limit from its cgroup" "^web +running +$(q "SELECT pid FROM containers WHERE name='web'") +[0-9]+s +0 +0 +[0-9.]+[BKM]/64M$" "$(echo "$T1" | grep '^web')"
check_match "list row for idle" "^idle +stopped +- +- +0 +0 +-$" "$(echo "$T1" | grep '^idle')"
check "list --json memory_max_bytes" 67108864 "$(echo "$J" | jq -r '.[] | select(.name=="web") | .memory_max_bytes')"
check "list --json memory_bytes is a number" number "$(echo "$J" | jq -r '.[] | select(.name=="web") | .memory_bytes | type')"
check_match "status shows memory and processes" "Memory: +[0-9.]+[BKM]/64M" "$(ctl status web)"
check_match "status shows the process count" "Processes: +1$" "$(ctl status web)"
check_match "status shows the command from the configuration" "Command: +/bin/httpd -f" "$(ctl status web)"
check_match "status shows the limits" "Limits: +memory_max 64M, cpu_max none, pids_max none" "$(ctl status web)"
check_match "status shows the restart policy" "Restart: +on-failure" "$(ctl status web)"

S=$(ctl status done --json)
check "status --json state" exited "$(echo "$S" | jq -r .state)"
check "status --json last run exit code" 4 "$(echo "$S" | jq -r '.runs[0].exit_code')"
check_match "status text shows how the run ended" "exited\(4\)" "$(ctl status done)"

stop_supd
check "supd exited 0" 0 "$SUPD_STATUS"
check_match "list works while supd is down" "^web +stopped" "$(ctl list | grep '^web')"
rc=0; out=$(ctl start web 2>&1) || rc=$?
check "start with supd down exits 1" 1 "$rc"
check_match "it says supd is not running and how to start it" "supd is not running: socket .*supd -c" "$out"
check "the error is one line" 1 "$(echo "$out" | wc -l)"

set +e
ctl bogus >/dev/null 2>&1; check "unknown command exits 2" 2 $?
ctl stop >/dev/null 2>&1; check "missing NAME exits 2" 2 $?
ctl stop ../x >/dev/null 2>&1; check "invalid NAME exits 2" 2 $?
ctl list --bogus >/dev/null 2>&1; check "unknown option exits 2" 2 $?
ctl status nosuch >/dev/null 2>&1; check "status of unknown container exits 1" 1 $?
"$SUPCTL" --help | grep -q "Usage: supctl" && pass "supctl --help" || fail "supctl --help"
"$SUPCTL" stop --help | grep -q "stop_timeout" && pass "supctl stop --help" || fail "supctl stop --help"
"$SUPD" --help | grep -q "Usage: supd" && pass "supd --help" || fail "supd --help"
"$SUPCTL" --db "$T/nope.db" --socket "$T/nope.sock" list >/dev/null 2>&1; check "list without a database exits 1" 1 $?
set -e
finish
