/* child.h - what runs in the container's process between clone3() and
 * execve(): mounts, pivot_root, hostname, loopback, credentials, exec.
 *
 * The child touches no libuv, SQLite, logger or malloc (libuv's threadpool
 * may hold the allocator lock at clone time). Every input is prepared by the
 * parent in struct child_args. A failure is written to err_fd as a struct
 * child_report {step, errno} and the child exits CHILD_EXIT_SETUP; a
 * successful execve closes err_fd (O_CLOEXEC), which the parent reads as EOF. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "seccomp_filter.h"

enum child_step {
	CHILD_STEP_FDS,
	CHILD_STEP_SIGNALS,
	CHILD_STEP_SESSION,
	CHILD_STEP_CGROUP_ATTACH,
	CHILD_STEP_NET_NS,
	CHILD_STEP_SYNC,
	CHILD_STEP_CGROUP_NS,
	CHILD_STEP_STDIO,
	CHILD_STEP_MOUNT_PRIVATE,
	CHILD_STEP_ROOTFS_BIND,
	CHILD_STEP_MOUNT_POINTS,
	CHILD_STEP_USERNS_FS_IDS,
	CHILD_STEP_PROC,
	CHILD_STEP_DEV,
	CHILD_STEP_SYS,
	CHILD_STEP_HOST_FILES,
	CHILD_STEP_MASK_PATHS,
	CHILD_STEP_PIVOT_ROOT,
	CHILD_STEP_DETACH_OLD_ROOT,
	CHILD_STEP_READONLY_ROOTFS,
	CHILD_STEP_HOSTNAME,
	CHILD_STEP_LOOPBACK,
	CHILD_STEP_RLIMITS,
	CHILD_STEP_NO_NEW_PRIVS,
	CHILD_STEP_SECCOMP,
	CHILD_STEP_CAP_BOUNDING,
	CHILD_STEP_KEEPCAPS,
	CHILD_STEP_SETGROUPS,
	CHILD_STEP_SETGID,
	CHILD_STEP_SETUID,
	CHILD_STEP_CAPS,
	CHILD_STEP_WORKDIR,
	CHILD_STEP_EXECVE,
	CHILD_STEP_EXEC_INIT,
	_CHILD_STEP_MAX
};

const char *child_step_to_string(enum child_step step);

/* Exit status of a child that failed before execve (like a shell's 127). */
#define CHILD_EXIT_SETUP 127

struct child_report {
	int32_t step;  /* enum child_step */
	int32_t error; /* positive errno */
};

#define CHILD_MAX_ATTACH_FDS 8

struct child_args {
	const struct container_config *cfg;
	char *const *envp;  /* prepared by the parent: cfg->env plus defaults */
	const struct seccomp_program *seccomp; /* installed before execve; NULL: none */
	int sync_fd;        /* read end; one byte = go, EOF = parent gone, exit */
	int err_fd;         /* write end, O_CLOEXEC */
	int stdin_fd;       /* /dev/null */
	int stdout_fd;      /* log pipe write ends */
	int stderr_fd;
	/* cgroup.procs of the container's group per hierarchy, when it was
	 * not cloned into it: the child writes "0" to each before it waits for
	 * the go. Moving itself keeps the slow part of a v1 attach (the kernel
	 * waits for an RCU grace period) off supd's loop. */
	int attach_fds[CHILD_MAX_ATTACH_FDS];
	int n_attach_fds;
	int init_fd;              /* sup-init to exec instead of the command, or -1 */
	char *const *init_argv;   /* "sup-init -- argv...", when init_fd >= 0 */
};

/* Never returns. */
_Noreturn void child_main(const struct child_args *a);
