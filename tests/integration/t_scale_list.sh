#!/bin/bash
# supctl list stays instant with 5,000 configured containers (stopped ones:
# running thousands is the benchmarks' job), and supd holds a log file for
# each without running out of file descriptors.
. "$(dirname "$0")/lib.sh"

write_config </dev/null
for i in $(seq -w 1 5000); do
	printf '[container:c%s]\nrootfs = %s\ncommand = /bin/true\nautostart = no\n' "$i" "$ROOTFS"
done > "$T/conf.d/many.conf"
start_supd 60 # a sanitizer build takes a while to set up 5,000 containers
wait_until 30 "5000 rows" sh -c "[ \"\$(sqlite3 $DB 'SELECT count(*) FROM containers')\" = 5000 ]"
t0=$(now_ns); n=$(ctl list | wc -l); ms=$(( ($(now_ns) - t0) / 1000000 ))
check "list shows 5000 containers and a header" 5001 "$n"
[ $ms -lt $((1000 * TIME_SCALE)) ] && pass "list of 5000 took ${ms} ms" || fail "list of 5000 took ${ms} ms"
t0=$(now_ns); n=$(ctl list --json | jq length); ms=$(( ($(now_ns) - t0) / 1000000 ))
check "list --json has 5000 objects" 5000 "$n"
[ $ms -lt $((1500 * TIME_SCALE)) ] && pass "list --json of 5000 (with jq) took ${ms} ms" || fail "list --json of 5000 took ${ms} ms"
check "sorted by name" "c0001 c0002" "$(ctl list | sed -n '2,3p' | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')"
check_match "start one of them" "^c4999 running pid" "$(ctl start c4999)"
stop_supd
check "supd exits 0" 0 "$SUPD_STATUS"
finish
