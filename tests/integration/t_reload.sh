#!/bin/bash
# supctl reload and SIGHUP: added containers start, removed ones stop (rows
# kept, marked removed), changed ones restart with the new config,
# unchanged ones keep their pid; a bad config changes nothing.
. "$(dirname "$0")/lib.sh"

containers() {
	for n in "$@"; do
		case $n in
		keep) printf '[container:keep]\nrootfs = %s\ncommand = /bin/probe sleep 60\nstop_timeout = 1s\n\n' "$ROOTFS" ;;
		change) printf '[container:change]\nrootfs = %s\ncommand = /bin/probe echo first sleep 60\nstop_timeout = 1s\n\n' "$ROOTFS" ;;
		change2) printf '[container:change]\nrootfs = %s\ncommand = /bin/probe echo second sleep 60\nstop_timeout = 1s\nmemory_max = 48M\n\n' "$ROOTFS" ;;
		gone) printf '[container:gone]\nrootfs = %s\ncommand = /bin/probe sleep 60\nstop_timeout = 1s\n\n' "$ROOTFS" ;;
		fresh) printf '[container:fresh]\nrootfs = %s\ncommand = /bin/probe sleep 60\nstop_timeout = 1s\n\n' "$ROOTFS" ;;
		idle) printf '[container:idle]\nrootfs = %s\ncommand = /bin/probe sleep 60\nautostart = no\nstop_timeout = 1s\n\n' "$ROOTFS" ;;
		idle2) printf '[container:idle]\nrootfs = %s\ncommand = /bin/probe sleep 61\nautostart = no\nstop_timeout = 1s\n\n' "$ROOTFS" ;;
		viahup) printf '[container:viahup]\nrootfs = %s\ncommand = /bin/probe sleep 60\nstop_timeout = 1s\n\n' "$ROOTFS" ;;
		esac
	done
}
pid_of() { q "SELECT ifnull(pid, '') FROM containers WHERE name='$1'"; }

containers keep change gone idle | write_config
start_supd
for n in keep change gone; do wait_until 10 "$n running" state_is $n running; done
keep_pid=$(pid_of keep); change_pid=$(pid_of change); gone_pid=$(pid_of gone)

containers keep change2 fresh idle2 | write_config
out=$(ctl reload)
check "reload reports what changed" "added [fresh] removed [gone] restarted [change] updated (not running) [idle] unchanged 1" "$(echo "$out" | sed 's/^reloaded [^:]*: //')"
wait_until 10 "fresh running" state_is fresh running
wait_until 10 "change running again" sh -c "[ \"\$(sqlite3 $DB \"SELECT count(*) FROM runs WHERE container='change' AND ended_at IS NULL\")\" = 1 ] && [ \"\$(sqlite3 $DB \"SELECT state FROM containers WHERE name='change'\")\" = running ]"
check "unchanged container keeps its pid" "$keep_pid" "$(pid_of keep)"
[ "$(pid_of change)" != "$change_pid" ] && pass "changed container has a new pid" || fail "changed container kept pid $change_pid"
wait_until 5 "changed container runs the new command" log_has change second
check_match "and has the new memory limit" "/48M$" "$(ctl list | grep '^change')"
wait_until 5 "removed container stopped" sh -c "! kill -0 $gone_pid 2>/dev/null || grep -q '^State:.*Z' /proc/$gone_pid/status"
check "removed container's row is kept, marked removed" "1|stopped" "$(q "SELECT removed||'|'||state FROM containers WHERE name='gone'")"
check "list no longer shows it" "" "$(ctl list | grep '^gone' || true)"
rc=0; ctl start gone >/dev/null 2>&1 || rc=$?
check "a removed container cannot be started" 1 "$rc"
check "a changed container that was not running stays stopped" stopped "$(q "SELECT state FROM containers WHERE name='idle'")"
check_match "and starts with its new command" "^idle running pid" "$(ctl start idle)"
check "config-reloaded event" 1 "$(q "SELECT count(*) FROM events WHERE type='config-reloaded'")"

# SIGHUP does the same
containers keep change2 fresh viahup idle2 | write_config
kill -HUP "$SUPD_PID"
wait_until 10 "SIGHUP started viahup" state_is viahup running
check "SIGHUP kept keep's pid" "$keep_pid" "$(pid_of keep)"

# A bad config changes nothing.
before=$(q "SELECT group_concat(name||pid, ',') FROM (SELECT name, pid FROM containers WHERE removed = 0 ORDER BY name)")
{ containers keep; printf '[container:broken]\nrootfs = %s\ncommand = /bin/true\nmemory_max = lots\n' "$ROOTFS"; } | write_config
# supctl would refuse the broken file itself; --db/--socket let it ask supd.
rc=0; out=$("$SUPCTL" --db "$DB" --socket "$SOCK" reload 2>&1) || rc=$?
check "reload of a bad config fails" 1 "$rc"
check_match "supd refused it" "reload refused, the running configuration stays" "$out"
check_match "and names file, line and key" "supd.conf:[0-9]+: \[container:broken\] key 'memory_max'" "$out"
sleep 0.3
check "nothing changed" "$before" "$(q "SELECT group_concat(name||pid, ',') FROM (SELECT name, pid FROM containers WHERE removed = 0 ORDER BY name)")"
check "config-error event" 1 "$(q "SELECT count(*) FROM events WHERE type='config-error'")"

stop_supd
check "supd exits 0" 0 "$SUPD_STATUS"
check "no cgroup left" "" "$(cgroup_dirs)"
finish
