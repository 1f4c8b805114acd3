#!/bin/bash
# userns = yes: the container gets its own user namespace, root inside is
# uid_map's outside id (default 100000) on the host, and the host's root
# files of the rootfs stay out of its reach. cgroup limits and OOM kills
# work as without it; sup-init, a read-only rootfs and the host's network
# combine with it. user = UID:GID without userns runs as that very uid on
# the host.
. "$(dirname "$0")/lib.sh"

# A private copy of the rootfs: the checks write to it and put a secret in.
RFS=$T/rootfs
cp -a "$ROOTFS" "$RFS"
echo host-secret > "$RFS/secret"
chmod 600 "$RFS/secret"
cat > "$RFS/check.sh" <<'EOF'
echo "uid=$(id -u)"
echo "gid=$(id -g)"
echo "groups=$(id -G)"
echo "uid_map=$(tr -s ' ' < /proc/self/uid_map | sed 's/^ //')"
echo "gid_map=$(tr -s ' ' < /proc/self/gid_map | sed 's/^ //')"
if echo x 2>/dev/null > "/written-$HOSTNAME"; then echo write=ok; else echo write=denied; fi
if cat /secret >/dev/null 2>&1; then echo read=ok; else echo read=denied; fi
if echo x 2>/dev/null > /dev/null; then echo devnull=ok; else echo devnull=broken; fi
echo ready
exec sleep 60
EOF

write_config <<EOF
[container:uns]
rootfs = $RFS
command = /bin/sh /check.sh
userns = yes
restart = no
stop_timeout = 1s

[container:plain]
rootfs = $RFS
command = /bin/sh /check.sh
restart = no
stop_timeout = 1s

[container:uns-user]
rootfs = $RFS
command = /bin/sh /check.sh
userns = yes
user = 1000:1000
restart = no
stop_timeout = 1s

[container:user]
rootfs = $RFS
command = /bin/sh /check.sh
user = 1000:1000
restart = no
stop_timeout = 1s

[container:uns-map]
rootfs = $RFS
command = /bin/sh /check.sh
userns = yes
uid_map = 0 200000 1000
gid_map = 0 300000 1000
restart = no
stop_timeout = 1s

[container:uns-one]
rootfs = $RFS
command = /bin/sh /check.sh
userns = yes
uid_map = 1000 400000 1
gid_map = 1000 400000 1
user = 1000:1000
restart = no
stop_timeout = 1s

[container:uns-init]
rootfs = $RFS
command = /bin/probe report sleep 60
userns = yes
init = yes
readonly_rootfs = yes
restart = no
stop_timeout = 1s

[container:uns-host]
rootfs = $RFS
command = /bin/probe report sleep 60
userns = yes
network = host
restart = no
stop_timeout = 1s

[container:uns-restart]
rootfs = $RFS
command = /bin/sh -c "exit 1"
userns = yes
restart = on-failure
restart_delay = 20ms
restart_delay_max = 20ms
start_limit = 1000/60s

[container:uns-oom]
rootfs = $RFS
command = /bin/probe echo start eat 256 sleep 60
userns = yes
memory_max = 16M
restart = no
EOF
start_supd
for c in uns plain uns-user user uns-map uns-one; do
	wait_until 10 "$c ready" log_has $c ready
done
wait_until 10 "uns-init report" log_has uns-init report-done
wait_until 10 "uns-host report" log_has uns-host report-done
# val CONTAINER KEY: KEY=value from its log
val() { log_text "$1" | sed -n "s/^$2=//p"; }
host_ids() { awk '/^Uid:/ {u=$2} /^Gid:/ {g=$2} END {print u ":" g}' "/proc/$(q "SELECT pid FROM containers WHERE name='$1'")/status"; }

check "userns: root inside" "0:0" "$(val uns uid):$(val uns gid)"
check "userns: uid_map inside" "0 100000 65536" "$(val uns uid_map)"
check "userns: gid_map inside" "0 100000 65536" "$(val uns gid_map)"
check "userns: no supplementary groups" "0" "$(val uns groups)"
check "userns: root inside is uid/gid 100000 on the host" "100000:100000" "$(host_ids uns)"
check "userns: root inside cannot write to the host root's rootfs" denied "$(val uns write)"
check "userns: root inside cannot read a 0600 file of the host's root" denied "$(val uns read)"
check "userns: /dev/null works (the host's node, bound)" ok "$(val uns devnull)"
[ -e "$RFS/written-uns" ] && fail "userns: the container created $RFS/written-uns" || pass "nothing written by the userns container"
check "without userns, root inside is the host's root: writes" ok "$(val plain write)"
check "without userns, root inside reads the 0600 file" ok "$(val plain read)"
check "without userns, root is root on the host" "0:0" "$(host_ids plain)"

check "userns + user: the user inside" "1000:1000" "$(val uns-user uid):$(val uns-user gid)"
check "userns + user: mapped on the host" "101000:101000" "$(host_ids uns-user)"
check "user without userns: the user inside" "1000:1000" "$(val user uid):$(val user gid)"
check "user without userns: the same ids on the host" "1000:1000" "$(host_ids user)"
check "user without userns: no supplementary groups" "1000" "$(val user groups)"
check "user without userns cannot read the 0600 file" denied "$(val user read)"

check "uid_map as configured" "0 200000 1000" "$(val uns-map uid_map)"
check "gid_map as configured" "0 300000 1000" "$(val uns-map gid_map)"
check "custom maps on the host" "200000:300000" "$(host_ids uns-map)"
check "a map of one id, without root inside" "1000:1000 1000 400000 1" \
	"$(val uns-one uid):$(val uns-one gid) $(val uns-one uid_map)"
check "a map of one id: on the host" "400000:400000" "$(host_ids uns-one)"
check "a map of one id: /dev/null works" ok "$(val uns-one devnull)"

check "userns + init: the command is root inside" 0 "$(val uns-init uid)"
check "userns + init: the command is PID 2 under sup-init" "2 1" "$(val uns-init pid) $(val uns-init ppid)"
check "userns + init: sup-init runs as 100000 on the host" "100000:100000" "$(host_ids uns-init)"
check "userns: /sys is read-only" 0 "$(val uns-init sys_writable)"
check "userns + network=host: the host's interfaces" "$(sed -n 's/^ *\([^:]*\):.*/\1/p' /proc/net/dev | sort | tr '\n' ' ')" \
	"$(val uns-host iface | sort | tr '\n' ' ')"
check "userns + network=host: /sys is the host's, read-only" 0 "$(val uns-host sys_writable)"
hpid=$(q "SELECT pid FROM containers WHERE name='uns-host'")
check "userns + network=host: the host's net namespace" "$(readlink /proc/self/ns/net)" "$(readlink /proc/$hpid/ns/net)"
check "userns: its own user namespace" 1 "$([ "$(readlink /proc/$hpid/ns/user)" != "$(readlink /proc/self/ns/user)" ] && echo 1)"

S=$(ctl status uns-map)
check_match "supctl status shows the user namespace" "^Userns: +yes, uid_map 0 200000 1000, gid_map 0 300000 1000$" "$S"
check_match "supctl status shows the user" "^User: +1000:1000$" "$(ctl status user)"
check_match "supctl status shows no user namespace" "^Userns: +no" "$(ctl status user)"

# Limits still apply: the child moved itself into its (v1) cgroup with the
# descriptor supd opened, and the OOM kill is seen and recorded.
wait_until 10 "uns-oom recorded as oom-killed" state_is uns-oom oom-killed
check "uns-oom: the run is marked OOM-killed" 1 "$(q "SELECT oom_killed FROM runs WHERE container='uns-oom'")"
check_match "uns-oom: ate less than its 16M limit" "^start$" "$(log_text uns-oom | head -1)"
log_has uns-oom "ate 256" && fail "uns-oom ate 256 MiB despite memory_max = 16M" || pass "uns-oom was stopped by its limit"
# Restarts, through the spare child parked ahead of time: its maps are
# written when it is cloned, before it is released.
runs() { [ "$(q "SELECT count(*) FROM runs WHERE container='uns-restart' AND ended_at IS NOT NULL")" -ge "$1" ]; }
wait_until 10 "uns-restart ran 6 times" runs 6
check "every restart with userns ran the command" "exited(1)" \
	"$(q "SELECT DISTINCT reason FROM runs WHERE container='uns-restart' AND ended_at IS NOT NULL")"
finish
