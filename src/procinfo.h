/* procinfo.h - what the kernel still knows about a process supd did not
 * start in this life (a crash or re-exec came between): identity checks
 * against PID reuse, and its exit status when it is not supd's child to
 * reap. Never logs; 0 or -errno. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct procinfo_stat {
	char state;         /* field 3: R S D Z X ... */
	pid_t ppid;         /* field 4 */
	uint64_t starttime; /* field 22, clock ticks since boot */
	int exit_status;    /* field 52, wait(2) status; meaningful for a zombie */
};

/* Parse the text of /proc/PID/stat. -EINVAL if malformed. */
int procinfo_parse_stat(const char *text, struct procinfo_stat *ret);
/* Read and parse /proc/PID/stat. -ENOENT (no such process) or -errno. */
int procinfo_read_stat(pid_t pid, struct procinfo_stat *ret);

/* Whether pid sits in the cgroup whose path (as /proc/PID/cgroup shows it,
 * v2 line or any v1 line) is cgroup_path. */
bool procinfo_in_cgroup(pid_t pid, const char *cgroup_path);

/* The exit status (wait(2) form) of the process behind pidfd, from
 * PIDFD_GET_INFO with PIDFD_INFO_EXIT (kernel 6.15): known only once
 * someone reaped it. -ENODATA while it is not reaped (or still runs),
 * -EOPNOTSUPP/-ENOTTY on older kernels. */
int procinfo_pidfd_exit_status(int pidfd, int *ret_status);

/* Open a pidfd for pid and check that it is still the process that began
 * at starttime (pidfd first, then the check: PID reuse cannot slip in
 * between) and, if cgroup_path is set, that it sits in that cgroup.
 * Returns the pidfd, -ESRCH if the pid is gone or now another process,
 * -EXDEV if it is not in cgroup_path, or -errno. *ret_stat gets its stat. */
int procinfo_open_verified(pid_t pid, uint64_t starttime, const char *cgroup_path, struct procinfo_stat *ret_stat);

/* The exit of a process supd cannot reap (not its child), after its pidfd
 * became readable or when found dead at recovery: from /proc/PID/stat while
 * it is a zombie with the same starttime, else from PIDFD_INFO_EXIT.
 * 0 with *ret_status set, or -ENODATA when nothing knows any more. */
int procinfo_foreign_exit_status(int pidfd, pid_t pid, uint64_t starttime, int *ret_status);
