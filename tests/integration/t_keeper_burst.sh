#!/bin/bash
# A burst of messages to the fd keeper (hundreds of containers stopping in
# one loop turn) fills its socket faster than it reads: supd must wait for
# room, not drop the connection. Dropped, the keeper never got its "quit"
# and stayed behind after a clean stop, holding every run's descriptors,
# and supd ran on without crash safety.
. "$(dirname "$0")/lib.sh"
N=400
{
	for ((i = 0; i < N; i++)); do
		printf '[container:s%d]\nrootfs = %s\ncommand = /bin/sleep 3600\nrestart = no\nstop_signal = KILL\n\n' $i "$ROOTFS"
	done
} | write_config
start_supd 30
wait_until 60 "all $N running" sh -c "[ \$(sqlite3 $DB \"SELECT count(*) FROM containers WHERE state='running'\") -eq $N ]"
kpid=$(cat "$T/run/keeper.sock.pid")
check "the keeper runs" supd-keeper "$(cat /proc/$kpid/comm 2>/dev/null)"
stop_supd
check "supd exits 0" 0 "$SUPD_STATUS"
wait_until 10 "the keeper exits after the clean stop" sh -c "! kill -0 $kpid 2>/dev/null"
finish
