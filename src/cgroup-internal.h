/* cgroup-internal.h - state shared by cgroup.c, cgroup_v1.c and
 * cgroup_v2.c; nothing outside them includes it. */
#pragma once

#include <limits.h>

#include "cgroup.h"

enum { CG_V1_MEMORY, CG_V1_CPU, CG_V1_PIDS, CG_V1_FREEZER, _CG_V1_MAX };

struct cgroup_hier {
	const char *controller; /* v1 controller name; "" for v2 */
	char base_dir[PATH_MAX];/* filesystem path of the base group */
	int base_fd;            /* O_DIRECTORY fd of it, -1 if this hierarchy is unused */
	bool created;           /* we made base_dir, so we remove it */
};

/* v1: an eventfd registered on the memory.oom_control of up to
 * CGROUP_V1_OOM_FD_SHARE groups (one fd per container would be the one
 * thing left between thousands of containers and RLIMIT_NOFILE). */
#define CGROUP_V1_OOM_FD_SHARE 4
struct cgroup_oom_fd {
	int fd;
	int users;                         /* groups registered on it */
	uint64_t removals;                 /* signals still due from removed groups (not OOM) */
	struct cgroup_oom_fd *prev, *next; /* in the manager's list while users < SHARE */
};

struct cgroup_manager {
	const struct cgroup_ops *ops;
	char base_path[PATH_MAX]; /* cgroup path of the base, for display */
	struct cgroup_hier h[_CG_V1_MAX]; /* v2 uses h[0] only */
	int n_hier;
	struct cgroup_oom_fd *oom_fds; /* v1: shared eventfds with room for another group */
};

struct cgroup {
	struct cgroup_manager *m;
	char name[128];
	char *path;               /* display: base_path/name (allocated to size: thousands of groups) */
	int fd[_CG_V1_MAX];       /* group dir per hierarchy, -1 if unused (v1: only while create() runs) */
	struct cgroup_oom_fd *oom; /* v1: the shared eventfd it is registered on, or NULL */
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* Shared helpers (cgroup.c). */
int cgroup_mkdir_at(int dirfd, const char *name, int *ret_fd);
int cgroup_kill_procs_at(int dirfd);
int cgroup_rmdir_at(int dirfd, const char *name);
/* Write value to file in the group at dirfd; with optional, a file the
 * kernel does not offer (-ENOENT) is fine. 0 or -errno with err naming the
 * group (path) and file. */
int cgroup_write_limit_at(int dirfd, const char *path, const char *file, const char *value, bool optional,
			  struct sup_err *err);
/* cgroup.procs of the group at dirfd lists no process. */
bool cgroup_is_empty_at(int dirfd);
/* A file holding one decimal number (memory.current, ...). */
int cgroup_read_u64_at(int dirfd, const char *file, uint64_t *ret);
void cgroup_free_common(struct cgroup *cg);
struct cgroup *cgroup_alloc(struct cgroup_manager *m, const char *name);
/* Resolve cgroup_parent against own ("auto" -> own/sup). ret is a cgroup path. */
int cgroup_resolve_base(const char *own, const char *parent, char *ret, size_t size);
/* mkdir -p for a path below a hierarchy mount; sets *ret_created if the last component was made. */
int cgroup_mkdir_p(const char *dir, bool *ret_created);

/* Backend set-up, called by cgroup_open() with m zeroed and fds at -1. */
int cgroup_v2_open(struct cgroup_manager *m, const char *root, const char *parent, struct sup_err *err);
int cgroup_v1_open(struct cgroup_manager *m, const char *root, const char *parent, struct sup_err *err);
