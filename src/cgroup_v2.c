/* cgroup_v2.c - the unified hierarchy backend (see cgroup.h).
 *
 * supd moves itself into a "supervisor" leaf of its own cgroup so that the
 * group can delegate controllers to the container groups below it (the
 * no-internal-processes rule), enables memory, cpu and pids on the way
 * down to the base, and creates one group per container run there. The
 * child is cloned straight into its group (CLONE_INTO_CGROUP), OOM kills
 * are counted by memory.events' oom_kill, and teardown uses cgroup.kill. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "fd.h"

static const char *const v2_controllers[] = { "memory", "cpu", "pids" };

/* Enable the controllers the group offers in its subtree_control. */
static void enable_controllers(const char *dir)
{
	char path[PATH_MAX + 32], avail[1024];
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	if (fd_read_file_at(AT_FDCWD, path, avail, sizeof(avail)) < 0)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	for (size_t i = 0; i < ELEMENTSOF(v2_controllers); i++) {
		char want[32];
		snprintf(want, sizeof(want), "+%s", v2_controllers[i]);
		/* Word match: "memory" must not match inside another name. */
		for (char *p = strstr(avail, v2_controllers[i]); p; p = strstr(p + 1, v2_controllers[i])) {
			size_t n = strlen(v2_controllers[i]);
			if ((p == avail || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n])) {
				/* Best effort: a failure shows up as a missing limit file at create. */
				(void)fd_write_file_at(AT_FDCWD, path, want);
				break;
			}
		}
	}
}

int cgroup_v2_open(struct cgroup_manager *m, const char *root, const char *parent, struct sup_err *err)
{
	char text[4096], own[PATH_MAX], dir[PATH_MAX * 2];
	struct cgroup_hier *h = &m->h[0];
	ssize_t n = fd_read_file_at(AT_FDCWD, "/proc/self/cgroup", text, sizeof(text));
	if (n < 0)
		return sup_err_set(err, (int)n, "reading /proc/self/cgroup: %s", strerror((int)-n));
	int r = cgroup_parse_proc_self(text, NULL, own, sizeof(own));
	if (r < 0)
		return sup_err_set(err, r, "no cgroup v2 entry in /proc/self/cgroup");
	/* Started again inside our own leaf (a restarted supd): the unit is its parent. */
	size_t len = strlen(own);
	if (len >= 11 && !strcmp(own + len - 11, "/supervisor")) {
		own[len - 11] = 0;
		if (!own[0])
			strcpy(own, "/");
	}
	if ((r = cgroup_resolve_base(own, parent, m->base_path, sizeof(m->base_path))) < 0)
		return sup_err_set(err, r, "cgroup_parent '%s' is too long", parent);

	if (parent[0] != '/') {
		/* Leave our own group's processes list so it may delegate. */
		snprintf(dir, sizeof(dir), "%s%s/supervisor", root, strcmp(own, "/") ? own : "");
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return sup_err_set(err, -errno, "creating %s: %s", dir, strerror(errno));
		snprintf(dir, sizeof(dir), "%s%s/supervisor/cgroup.procs", root, strcmp(own, "/") ? own : "");
		if ((r = fd_write_file_at(AT_FDCWD, dir, "0")) < 0)
			return sup_err_set(err, r, "moving supd into %s: %s", dir, strerror(-r));
	}
	/* Enable controllers from the first group we may touch down to the base. */
	const char *start = parent[0] == '/' ? "" : (strcmp(own, "/") ? own : "");
	snprintf(dir, sizeof(dir), "%s%s", root, start);
	enable_controllers(dir);
	for (const char *p = m->base_path + strlen(start); *p;) {
		const char *slash = strchr(p + 1, '/');
		size_t k = slash ? (size_t)(slash - m->base_path) : strlen(m->base_path);
		snprintf(dir, sizeof(dir), "%s%.*s", root, (int)k, m->base_path);
		bool created = false;
		if ((r = cgroup_mkdir_p(dir, &created)) < 0)
			return sup_err_set(err, r, "creating %s: %s", dir, strerror(-r));
		enable_controllers(dir);
		p = m->base_path + k;
		if (!*p)
			h->created = created;
	}
	snprintf(h->base_dir, sizeof(h->base_dir), "%s%s", root, m->base_path);
	h->base_fd = open(h->base_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->base_fd < 0)
		return sup_err_set(err, -errno, "opening %s: %s", h->base_dir, strerror(errno));
	h->controller = "";
	m->n_hier = 1;
	return 0;
}

static int write_limit(struct cgroup *cg, const char *file, const char *value, bool optional, struct sup_err *err)
{
	return cgroup_write_limit_at(cg->fd[0], cg->path, file, value, optional, err);
}

static int v2_create(struct cgroup_manager *m, const char *name, const struct cgroup_limits *l, struct cgroup **ret,
		     struct sup_err *err)
{
	struct cgroup *cg = cgroup_alloc(m, name);
	char v[64];
	int r = cgroup_mkdir_at(m->h[0].base_fd, name, &cg->fd[0]);
	if (r < 0) {
		sup_err_set(err, r, "creating cgroup %s: %s", cg->path, strerror(-r));
		goto fail;
	}
	if (l->memory_max) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory_max);
		/* Without swap off the limit would just push the container into swap. */
		if ((r = write_limit(cg, "memory.max", v, false, err)) < 0 ||
		    (r = write_limit(cg, "memory.swap.max", "0", true, err)) < 0)
			goto fail_rmdir;
	}
	if ((r = write_limit(cg, "memory.oom.group", l->oom_group ? "1" : "0", !l->oom_group, err)) < 0)
		goto fail_rmdir;
	if (l->cpu_millis) {
		snprintf(v, sizeof(v), "%llu 100000", (unsigned long long)l->cpu_millis * 100);
		if ((r = write_limit(cg, "cpu.max", v, false, err)) < 0)
			goto fail_rmdir;
	}
	if (l->pids_max) {
		snprintf(v, sizeof(v), "%u", l->pids_max);
		if ((r = write_limit(cg, "pids.max", v, false, err)) < 0)
			goto fail_rmdir;
	}
	*ret = cg;
	return 0;
fail_rmdir:
	cgroup_rmdir_at(m->h[0].base_fd, name);
fail:
	cgroup_free_common(cg);
	return r;
}

static int v2_clone_fd(struct cgroup *cg)
{
	return cg->fd[0];
}

static int v2_procs_fds(struct cgroup *cg, int *ret_fds, int max)
{
	if (max < 1)
		return -ENOBUFS;
	ret_fds[0] = openat(cg->fd[0], "cgroup.procs", O_WRONLY | O_CLOEXEC);
	return ret_fds[0] < 0 ? -errno : 1;
}

static int v2_oom_source(struct cgroup *cg, struct cgroup_oom_source *ret)
{
	ret->fd = -1;
	ret->removals = NULL;
	ret->early = false; /* memory.events changes when oom_kill itself is counted */
	snprintf(ret->path, sizeof(ret->path), "%s/%s/memory.events", cg->m->h[0].base_dir, cg->name);
	return 0;
}

static int v2_read_oom(struct cgroup *cg, struct cgroup_oom_counts *ret)
{
	char buf[1024];
	ssize_t n = fd_read_file_at(cg->fd[0], "memory.events", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return cgroup_parse_memory_events(buf, ret);
}

static bool v2_is_removed(struct cgroup *cg)
{
	(void)cg;
	return false;
}

static int v2_kill_all(struct cgroup *cg)
{
	/* cgroup.kill (5.14) kills the subtree atomically, forks included;
	 * older kernels get the kill loop, repeated while new pids appear. */
	int r = fd_write_file_at(cg->fd[0], "cgroup.kill", "1");
	if (r == -ENOENT)
		for (int pass = 0; pass < 16 && cgroup_kill_procs_at(cg->fd[0]) > 0; pass++)
			;
	else if (r < 0)
		return r;
	return cgroup_is_empty_at(cg->fd[0]) ? 0 : -EBUSY;
}

static int v2_memory_current(struct cgroup *cg, uint64_t *ret)
{
	return cgroup_read_u64_at(cg->fd[0], "memory.current", ret);
}

static int v2_destroy(struct cgroup *cg)
{
	return cgroup_rmdir_at(cg->m->h[0].base_fd, cg->name);
}

static const char *v2_path(const struct cgroup *cg)
{
	return cg->path;
}

const struct cgroup_ops cgroup_v2_ops = {
	.name = "v2",
	.create = v2_create,
	.clone_fd = v2_clone_fd,
	.procs_fds = v2_procs_fds,
	.oom_source = v2_oom_source,
	.read_oom = v2_read_oom,
	.is_removed = v2_is_removed,
	.kill_all = v2_kill_all,
	.memory_current = v2_memory_current,
	.destroy = v2_destroy,
	.free = cgroup_free_common,
	.path = v2_path,
};
