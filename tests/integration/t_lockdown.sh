#!/bin/bash
# Lock-down inside a container: the capability sets, no_new_privs, masked
# and read-only kernel paths, rlimits and the default seccomp filter. Every
# attack a container's root might try must fail while the host and supd
# carry on; and with capabilities = +SYS_ADMIN +MKNOD and seccomp = no the
# same probes succeed, so the checks are seen to be able to fail.
. "$(dirname "$0")/lib.sh"

# A host process of ours that no container may kill, and a host file no
# container may read.
sleep 300 &
HOST_SLEEP=$!
# (set +e: under set -e, "(exit 1)" would end the trap before cleanup.)
trap 'st=$?; set +e; kill "$HOST_SLEEP" 2>/dev/null; (exit $st); cleanup' EXIT
echo "host-only" > "$T/host-secret"
# rlimit_nproc counts a uid's processes host-wide: one of our own, so that
# another run of this test at the same time does not share it.
NPROC_UID=$((40000 + $$ % 20000))

# The containers share the rootfs: one device node path each (and per run),
# or "locked" may find the node that "loose" has just made (EEXIST).
NODE_LOCKED=/tmp/null-node-locked-$$
NODE_LOOSE=/tmp/null-node-loose-$$
ATTACKS="try-open /proc/1/root$T/host-secret try-open /../../..$T/host-secret
	try-open /proc/$HOST_SLEEP/cmdline try-kill $HOST_SLEEP
	try-mount proc /root try-mount sysfs /root try-mount devtmpfs /root try-mount tmpfs /root
	try-write /proc/sys/kernel/domainname evil try-write /proc/sysrq-trigger h
	try-open /proc/kcore try-open /proc/keys try-open /proc/timer_list
	try-module try-mknod $NODE_LOCKED try-capset try-unshare try-keyctl"
ATTACKS=$(echo $ATTACKS)

write_config <<EOF
[container:locked]
rootfs = $ROOTFS
command = /bin/probe caps rlimits report $ATTACKS echo attacks-done sleep 60
restart = no
stop_timeout = 1s

[container:ro]
rootfs = $ROOTFS
command = /bin/probe report try-write /proc/sys/kernel/domainname evil try-open /proc/keys echo attacks-done sleep 60
readonly_rootfs = yes
restart = no
stop_timeout = 1s

[container:loose]
rootfs = $ROOTFS
command = /bin/probe caps try-mount tmpfs /root try-mknod $NODE_LOOSE try-keyctl try-capset echo attacks-done sleep 60
capabilities = +SYS_ADMIN +MKNOD
seccomp = no
no_new_privs = no
restart = no
stop_timeout = 1s

[container:user]
rootfs = $ROOTFS
command = /bin/probe caps try-capset echo attacks-done sleep 60
user = 4242:4242
restart = no
stop_timeout = 1s

[container:userkeep]
rootfs = $ROOTFS
command = /bin/probe caps echo attacks-done sleep 60
user = 4243:4243
capabilities = -ALL +NET_BIND_SERVICE
keep_capabilities = yes
restart = no
stop_timeout = 1s

[container:limits]
rootfs = $ROOTFS
command = /bin/probe rlimits forks 20 echo attacks-done sleep 60
user = $NPROC_UID
rlimit_nofile = 100:200
rlimit_nproc = 5
rlimit_core = unlimited
restart = no
stop_timeout = 1s

[container:bomb]
rootfs = $ROOTFS
command = /bin/probe forks 2000 echo attacks-done sleep 60
pids_max = 32
restart = no
stop_timeout = 1s

[container:hog]
rootfs = $ROOTFS
command = /bin/probe eat 512 echo survived
memory_max = 32M
restart = no
stop_timeout = 1s

[container:sibling]
rootfs = $ROOTFS
command = /bin/probe sleep 60
restart = no
stop_timeout = 1s
EOF
start_supd
wait_until 10 "sibling running" state_is sibling running
sibling_pid=$(q "SELECT pid FROM containers WHERE name='sibling'")
for c in locked ro loose user userkeep limits bomb; do
	wait_until 15 "$c ran its probes" log_has $c attacks-done
done
wait_until 15 "hog was OOM-killed" state_is hog oom-killed

# outcome CONTAINER "try-X ARGS" -> what the probe printed after "->"
outcome() { log_text "$1" | grep -F -- "$2 -> " | head -1 | sed 's/.* -> //'; }
status() { log_text "$1" | sed -n "s/^status:$2=//p"; }

# Host files and processes.
check "/proc/1/root leads to the container's own root" ENOENT "$(outcome locked "try-open /proc/1/root$T/host-secret")"
check "'..' does not climb past the root" ENOENT "$(outcome locked "try-open /../../..$T/host-secret")"
check "a host pid is not visible in /proc" ENOENT "$(outcome locked "try-open /proc/$HOST_SLEEP/cmdline")"
check "killing a host pid fails" ESRCH "$(outcome locked "try-kill $HOST_SLEEP")"
check "the host process survived" 1 "$(kill -0 $HOST_SLEEP 2>/dev/null && echo 1)"

# Mounts, kernel knobs, modules, device nodes, capabilities, namespaces.
for fs in "proc /root" "sysfs /root" "devtmpfs /root" "tmpfs /root"; do
	check "mounting $fs fails" EPERM "$(outcome locked "try-mount $fs")"
done
check "writing /proc/sys fails" EROFS "$(outcome locked "try-write /proc/sys/kernel/domainname")"
# Paths this kernel lacks (some kernels have no kcore or sysrq) must stay
# absent; the ones it has must be harmless.
if_host_has() { if [ -e "$1" ]; then echo "$2"; else echo ENOENT; fi; }
check "writing /proc/sysrq-trigger fails" "$(if_host_has /proc/sysrq-trigger EROFS)" "$(outcome locked "try-write /proc/sysrq-trigger")"
for f in /proc/kcore /proc/keys /proc/timer_list; do
	check "$f reads empty (masked)" "$(if_host_has $f ok)" "$(outcome locked "try-open $f")"
done
check "loading a module fails" EPERM "$(outcome locked try-module)"
check "creating a device node fails" EPERM "$(outcome locked "try-mknod $NODE_LOCKED")"
check "raising a capability fails" EPERM "$(outcome locked try-capset)"
check "creating a user namespace fails" EPERM "$(outcome locked try-unshare)"
check "the kernel keyring is out of reach" EPERM "$(outcome locked try-keyctl)"
L=$(log_text locked)
check_match "/sys/firmware is masked with a tmpfs" '^mount=/sys/firmware tmpfs' "$L"
check_match "/proc/sys is a read-only bind" '^mount=/proc/sys proc' "$L"

# Default capability sets of root: Docker's list without MKNOD.
# CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
# NET_BIND_SERVICE NET_RAW SYS_CHROOT AUDIT_WRITE SETFCAP
want=00000000a00425fb
for set in CapBnd CapEff CapPrm; do
	check "root's $set is the default set" $want "$(status locked $set)"
done
check "root's CapInh is empty" 0000000000000000 "$(status locked CapInh)"
check "root's CapAmb is empty" 0000000000000000 "$(status locked CapAmb)"
check "no_new_privs is on by default" 1 "$(status locked NoNewPrivs)"
check "the seccomp filter is on by default" 2 "$(status locked Seccomp)"

# readonly_rootfs keeps the same masks.
check "readonly_rootfs: writing /proc/sys fails" EROFS "$(outcome ro "try-write /proc/sys/kernel/domainname")"
check "readonly_rootfs: /proc/keys reads empty" "$(if_host_has /proc/keys ok)" "$(outcome ro "try-open /proc/keys")"

# The same probes succeed where the config allows them: the checks above
# can fail.
check "capabilities = +SYS_ADMIN, seccomp = no: mount succeeds" ok "$(outcome loose "try-mount tmpfs /root")"
check "capabilities = +MKNOD: mknod succeeds" ok "$(outcome loose "try-mknod $NODE_LOOSE")"
check "seccomp = no: keyctl reaches the kernel" ok "$(outcome loose try-keyctl)"
check "seccomp = no: no filter" 0 "$(status loose Seccomp)"
check "no_new_privs = no" 0 "$(status loose NoNewPrivs)"
check "+SYS_ADMIN +MKNOD join the bounding set" 00000000a82425fb "$(status loose CapBnd)"

# A non-root user: no capabilities unless asked, bounding set as configured.
for set in CapEff CapPrm CapInh CapAmb; do
	check "user: $set is empty" 0000000000000000 "$(status user $set)"
done
check "user: CapBnd is the default set" $want "$(status user CapBnd)"
check "user: raising a capability fails" EPERM "$(outcome user try-capset)"
for set in CapEff CapPrm CapInh CapAmb CapBnd; do
	check "keep_capabilities: $set is NET_BIND_SERVICE" 0000000000000400 "$(status userkeep $set)"
done

# rlimits.
check "rlimit_nofile = 100:200" 100:200 "$(log_text limits | sed -n 's/^rlimit:nofile=//p')"
check "rlimit_nproc = 5" 5:5 "$(log_text limits | sed -n 's/^rlimit:nproc=//p')"
check "rlimit_core = unlimited" unlimited:unlimited "$(log_text limits | sed -n 's/^rlimit:core=//p')"
check_match "rlimit_nproc stops forks of its user" '^forked=[0-4] failed=' "$(log_text limits | grep forked=)"

# Exhaustion: pids and memory stay inside the container.
line=$(log_text bomb | grep forked=)
forked=$(echo "$line" | sed 's/forked=\([0-9]*\).*/\1/')
[ "$forked" -lt 32 ] && pass "pids_max stopped the fork bomb ($line)" || fail "fork bomb not contained: $line"
check "supd answers during the fork bomb" 0 "$(ctl status bomb >/dev/null; echo $?)"
check "the sibling kept running" running "$(q "SELECT state FROM containers WHERE name='sibling'")"
check "the sibling is the same process" "$sibling_pid" "$(q "SELECT pid FROM containers WHERE name='sibling'")"
check "the hog did not get past its limit" "" "$(log_text hog | grep survived)"
check "supd still answers" 0 "$(ctl list >/dev/null; echo $?)"
finish
