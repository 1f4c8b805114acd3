/* spawn.h - the parent side of starting a container: pipes, clone3() into
 * new namespaces with CLONE_PIDFD, and the release of the waiting child.
 *
 * Two phases so the caller can act on the child before it runs (cgroup v1
 * placement writes its pid): spawn_clone() leaves the child blocked on the
 * sync pipe; spawn_release() lets it go. The outcome of the child's setup
 * arrives later on err_fd: a struct child_report, or EOF once execve
 * succeeded. Returns -errno, never logs. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "err.h"
#include "seccomp_filter.h"

struct spawn_request {
	const struct container_config *cfg;
	char *const *envp;  /* full environment for the command */
	const struct seccomp_program *seccomp; /* filter for the child, or NULL */
	int stdin_fd;       /* /dev/null */
	int stdout_fd;      /* write ends of the log pipes; the caller closes them after clone */
	int stderr_fd;
	int cgroup_fd;      /* cgroup v2 directory for CLONE_INTO_CGROUP, or -1 */
	const int *attach_fds; /* cgroup.procs per hierarchy: the child moves itself in */
	int n_attach_fds;      /* when not cloned into cgroup_fd (v1, or an old kernel) */
	int init_fd;        /* sup-init (init_binary_open) to exec as PID 1, or -1: the command is PID 1 */
};

struct spawn_child {
	pid_t pid;
	int pidfd;           /* owned by the caller after success */
	int sync_fd;         /* write end; spawn_release() closes it */
	int err_fd;          /* read end, non-blocking, O_CLOEXEC; owned by the caller */
	uint64_t starttime;  /* /proc/PID/stat field 22, for PID-reuse checks */
};

/* Clone the child into its namespaces. On success the child waits for
 * spawn_release(). On failure nothing is left behind. */
int spawn_clone(const struct spawn_request *req, struct spawn_child *ret, struct sup_err *err);

/* Let the child proceed (or, with go = false, make it exit: closing the
 * sync pipe without a byte). Closes sync_fd. 0 or -errno. */
int spawn_release(struct spawn_child *c, int go);

/* Read a process's start time (clock ticks since boot) from /proc/PID/stat. */
int spawn_read_starttime(pid_t pid, uint64_t *ret);

/* Build "K=V" environment for cfg: its env entries plus PATH, HOSTNAME and
 * HOME defaults when not set. One allocation; free() releases it. */
char **spawn_build_env(const struct container_config *cfg);
