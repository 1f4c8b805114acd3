#!/bin/bash
# metrics_file: Prometheus text, written atomically after changes (states,
# restarts, OOM kills), not rewritten while nothing changes.
. "$(dirname "$0")/lib.sh"

M=$T/metrics.prom
write_config "metrics_file = $M" <<EOF
[container:web]
rootfs = $ROOTFS
command = /bin/probe sleep 60
memory_max = 64M
stop_timeout = 1s

[container:hog]
rootfs = $ROOTFS
command = /bin/probe eat 256
memory_max = 16M
restart = no
EOF
start_supd
wait_until 10 "web running" state_is web running
wait_until 10 "hog oom-killed" state_is hog oom-killed
has() { grep -qx -- "$1" "$M" 2>/dev/null; }
wait_until 3 "metrics show web up" has 'sup_container_up{name="web"} 1'
wait_until 3 "metrics show hog's OOM kill" has 'sup_container_oom_kills_total{name="hog"} 1'
check "state metric" 1 "$(grep -c '^sup_container_state{name="hog",state="oom-killed"} 1$' "$M")"
check "restarts counter" 1 "$(grep -c '^sup_container_restarts_total{name="web"} 0$' "$M")"
check_match "memory of a running container" '^sup_container_memory_bytes\{name="web"\} [1-9][0-9]*$' "$(grep memory_bytes "$M")"
check "memory limit" 1 "$(grep -c '^sup_container_memory_max_bytes{name="web"} 67108864$' "$M")"
check "HELP and TYPE lines" 1 "$(grep -c '^# TYPE sup_container_oom_kills_total counter$' "$M")"
m1=$(head -1 "$M") # "# written by supd at TIME"; each rewrite changes it
sleep 1.5
check_match "the file says when it was written" "^# written by supd at [0-9T:.-]+Z$" "$m1"
check "not rewritten while nothing changes" "$m1" "$(head -1 "$M")"
ctl stop web >/dev/null
wait_until 3 "a stop is reflected" has 'sup_container_up{name="web"} 0'
check "no temp file left" "" "$(ls "$M".tmp 2>/dev/null)"
stop_supd
check "supd exits 0" 0 "$SUPD_STATUS"
finish
