/* cgroup.h - one interface over cgroup v2 and v1 (STYLE.md: callers never
 * switch on the version). cgroup_open() detects the hierarchy once and
 * picks the ops; every op works on the directory fds it opened, returns
 * 0 or -errno and never logs.
 *
 * Layout (cgroup_parent = auto): below supd's own cgroup, a group "sup"
 * holds one group per container. On v2, supd first moves itself into a
 * leaf "supervisor" next to it (the no-internal-processes rule). On v1 the
 * same layout exists in each controller hierarchy supd uses (memory, cpu,
 * pids; freezer for teardown). cgroup_parent may instead name a group
 * relative to supd's own one, or an absolute cgroup path. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct cgroup_limits {
	uint64_t memory_max;  /* bytes, 0 = none */
	uint32_t cpu_millis;  /* 1000 = one CPU, 0 = none */
	uint32_t pids_max;    /* 0 = none */
	bool oom_group;       /* an OOM kill takes the whole group (v2 memory.oom.group) */
};

struct cgroup_oom_counts {
	uint64_t oom;            /* times the limit was hit with the OOM killer as the way out */
	uint64_t oom_kill;       /* processes of the group killed by the OOM killer */
	uint64_t oom_group_kill; /* group kills (v2, kernel >= 5.17), else 0 */
	uint64_t max;            /* times usage hit the limit (v2 only) */
};

/* How OOM kills of a group are announced: a file to watch with inotify
 * (v2 memory.events) or an fd that becomes readable (v1 eventfd). */
struct cgroup_oom_source {
	bool early;         /* may fire before oom_kill has moved (v1): re-read shortly after */
	uint64_t *removals; /* v1: signals on fd still due from removed groups; whoever reads
			     * fd takes them off this count first (they are no OOM). Else NULL */
	int fd;             /* poll for readable; -1 when path is used; owned by the manager and
			     * shared by a few groups (v1): readable means "look at each of them" */
	char path[4096 + 256]; /* inotify IN_MODIFY on this file; "" when fd is used */
};

struct cgroup_manager;
struct cgroup;

struct cgroup_ops {
	const char *name; /* "v2", "v1" */
	/* Create the container group NAME below the base with limits applied. */
	int (*create)(struct cgroup_manager *m, const char *name, const struct cgroup_limits *l, struct cgroup **ret, struct sup_err *err);
	/* An fd for clone3(CLONE_INTO_CGROUP), or -1: then the child moves itself. */
	int (*clone_fd)(struct cgroup *cg);
	/* Open the group's membership file in every hierarchy for writing
	 * (cgroup.procs; tasks on v1; at most max fds, O_CLOEXEC, the caller
	 * closes them): a single-threaded child writes "0" to each to move
	 * itself in. Returns how many. */
	int (*procs_fds)(struct cgroup *cg, int *ret_fds, int max);
	/* Where OOM kills are announced; valid until destroy(). */
	int (*oom_source)(struct cgroup *cg, struct cgroup_oom_source *ret);
	/* Read the OOM counters now. */
	int (*read_oom)(struct cgroup *cg, struct cgroup_oom_counts *ret);
	/* After an OOM notification on v1, whether it was the group's removal. */
	bool (*is_removed)(struct cgroup *cg);
	/* SIGKILL every process in the group, forks included; returns once none is left or -EBUSY. */
	int (*kill_all)(struct cgroup *cg);
	/* Current memory usage in bytes. */
	int (*memory_current)(struct cgroup *cg, uint64_t *ret);
	/* rmdir the group (every hierarchy); -EBUSY while processes remain. */
	int (*destroy)(struct cgroup *cg);
	/* Free the handle (no rmdir). NULL ok. */
	void (*free)(struct cgroup *cg);
	/* Display path, e.g. "/user.slice/sup/web" (v1: the memory hierarchy's). */
	const char *(*path)(const struct cgroup *cg);
};

/* Detect the hierarchy under root ("/sys/fs/cgroup"), find supd's own
 * cgroup, and prepare the base group for parent ("auto", a relative name,
 * or an absolute path). Returns 0 or -errno with err filled. */
int cgroup_open(const char *root, const char *parent, struct cgroup_manager **ret, struct sup_err *err);
/* Remove the base groups (empty by then) and free. NULL ok. */
void cgroup_close(struct cgroup_manager *m);
const struct cgroup_ops *cgroup_manager_ops(const struct cgroup_manager *m);
/* The base group's display path. */
const char *cgroup_manager_base(const struct cgroup_manager *m);

/* Open the group NAME below the base that an earlier supd created (a run
 * to re-adopt, or a leftover to remove), changing nothing in it. -ENOENT
 * when it exists in no hierarchy. Use with the manager's ops as any group. */
int cgroup_open_existing(struct cgroup_manager *m, const char *name, struct cgroup **ret);

/* For readers outside supd (supctl): memory usage and limit, and number of
 * processes, of the cgroup process pid is in (found through
 * /proc/PID/cgroup, for v1 in each hierarchy), under root
 * ("/sys/fs/cgroup"). *ret_max is 0 when unlimited, *ret_pids 0 when
 * unknown. 0 or -errno (-ENOENT: no such process or group). */
int cgroup_read_usage(const char *root, pid_t pid, uint64_t *ret_memory, uint64_t *ret_max, uint64_t *ret_pids);

/* --- pure parsers (unit-tested against fixture text) --- */

/* /proc/self/cgroup: the path of the v2 line ("0::/x") when controller is
 * NULL, else of the v1 line listing controller. -ENOENT if absent. */
int cgroup_parse_proc_self(const char *text, const char *controller, char *ret, size_t size);
/* v2 memory.events (flat keyed: "oom 1\noom_kill 2\n..."). Missing keys stay 0. */
int cgroup_parse_memory_events(const char *text, struct cgroup_oom_counts *ret);
/* v1 memory.oom_control ("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"). */
int cgroup_parse_oom_control(const char *text, struct cgroup_oom_counts *ret);
/* /proc/self/mountinfo: the mount point of the v1 hierarchy carrying
 * controller (super options contain it). -ENOENT if none. */
int cgroup_parse_v1_mount(const char *mountinfo, const char *controller, char *ret, size_t size);
