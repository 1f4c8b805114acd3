#!/bin/bash
# A container sees only itself: PID 1 is its command, ps shows only its
# processes, its hostname, none of the host's mounts, "/.." is "/", only
# "lo" in its network, a minimal /dev, a read-only /sys. With
# network = host it shares the host's interfaces and DNS config read-only.
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[container:iso]
rootfs = $ROOTFS
command = /bin/probe report sleep 60
restart = no
stop_timeout = 1s

[container:hostnet]
rootfs = $ROOTFS
command = /bin/probe report sleep 60
network = host
hostname = other-name
restart = no
stop_timeout = 1s

[container:ps]
rootfs = $ROOTFS
command = /bin/sh -c "sleep 60 & sleep 0.2; ps -o pid,comm; echo ps-done; wait"
restart = no
stop_timeout = 1s
EOF
start_supd
wait_until 10 "iso report in its log" log_has iso report-done
wait_until 10 "hostnet report in its log" log_has hostnet report-done
wait_until 10 "ps output in its log" log_has ps ps-done
L=$(log_text iso)
val() { printf '%s\n' "$L" | sed -n "s/^$1=//p"; }

check "PID 1 is the container's command" 1 "$(val pid)"
check "only one process visible in /proc" 1 "$(val proc_pid | wc -l)"
check "hostname defaults to the container name" iso "$(val hostname)"
check "/.. is / (no way out of the root)" 1 "$(val root_is_own_parent)"
check "host's /etc/hostname is not visible" 0 "$(val host_etc_hostname_visible)"
check "only lo in the network namespace" lo "$(val iface | tr '\n' ' ' | sed 's/ $//')"
check "/sys is read-only" 0 "$(val sys_writable)"
check "/dev holds only the minimal set" \
	"fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero" \
	"$(val dev | sort | tr '\n' ' ' | sed 's/ $//')"
# Mounts below /proc and /sys are the masks and read-only binds of
# t_lockdown; this checks that nothing of the host's tree is there.
mounts=$(val mount | awk '{print $1}' | grep -v -e '^/proc/' -e '^/sys/' | sort | tr '\n' ' ' | sed 's/ $//')
check "mount table has only the container's own mounts" "/ /dev /dev/mqueue /dev/pts /dev/shm /proc /sys" "$mounts"
check_match "environment has PATH" '^/usr/local/sbin' "$(val env | sed -n 's/^PATH=//p')"
check "HOSTNAME in the environment" iso "$(val env | sed -n 's/^HOSTNAME=//p')"

# busybox ps inside a container lists exactly the shell (PID 1), its
# background sleep and ps itself.
P=$(log_text ps | sed -n '/PID/,/ps-done/p' | grep -v -e PID -e ps-done | awk '{print $2}' | sort | tr '\n' ' ')
check "ps inside shows only the container's processes" "ps sh sleep " "$P"
check "the container's shell is PID 1 in ps" "1 sh" "$(log_text ps | sed -n '/PID/,/ps-done/p' | awk '$1 == 1 {print $1, $2}')"

pid=$(q "SELECT pid FROM containers WHERE name='iso'")
check "host pid of the container is recorded" "$(q "SELECT pid FROM runs WHERE container='iso' AND ended_at IS NULL")" "$pid"
check "pid namespace differs from the host's" 1 "$([ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] && echo 1)"
for ns in mnt uts ipc net cgroup; do
	check "$ns namespace differs from the host's" 1 "$([ "$(readlink /proc/$pid/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ] && echo 1)"
done
check "recorded start time matches /proc" "$(awk '{print $22}' /proc/$pid/stat)" "$(q "SELECT pid_starttime FROM containers WHERE name='iso'")"

H=$(log_text hostnet)
hval() { printf '%s\n' "$H" | sed -n "s/^$1=//p"; }
check "hostname key is honoured" other-name "$(hval hostname)"
check "network=host sees the host's interfaces" "$(sed -n 's/^ *\([^:]*\):.*/\1/p' /proc/net/dev | sort | tr '\n' ' ')" "$(hval iface | sort | tr '\n' ' ')"
for f in /etc/resolv.conf /etc/hosts; do
	if [ -e "$f" ]; then
		check_match "network=host has the host's $f mounted" "^$f " "$(hval mount)"
	fi
done
hpid=$(q "SELECT pid FROM containers WHERE name='hostnet'")
check "network=host shares the host's net namespace" "$(readlink /proc/self/ns/net)" "$(readlink /proc/$hpid/ns/net)"
finish
