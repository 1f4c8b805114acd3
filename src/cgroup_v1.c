/* cgroup_v1.c - the legacy per-controller backend (see cgroup.h).
 *
 * The same group name exists in each hierarchy supd uses: memory
 * (required: limits and OOM), cpu, pids, and freezer (for a race-free
 * teardown). The child is attached by writing its pid into every
 * hierarchy before it is released. A group holds no fds once created:
 * with thousands of containers, four directory fds each would exhaust
 * RLIMIT_NOFILE, so its files are reached as NAME/FILE below the base
 * directory fds (one path component more per lookup). OOM kills are announced by an eventfd
 * registered on memory.oom_control through cgroup.event_control; the same
 * eventfd also fires when the group is removed, which is_removed() tells
 * apart (KERNEL-NOTES: the kernel removes the files before signalling). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "fd.h"

static const char *const v1_controllers[_CG_V1_MAX] = {
	[CG_V1_MEMORY] = "memory",
	[CG_V1_CPU] = "cpu",
	[CG_V1_PIDS] = "pids",
	[CG_V1_FREEZER] = "freezer",
};

int cgroup_v1_open(struct cgroup_manager *m, const char *root, const char *parent, struct sup_err *err)
{
	(void)root; /* hierarchies are found by their mounts, wherever they are */
	const size_t mountinfo_size = 256 * 1024;
	_cleanup_free_ char *mountinfo = xmalloc(mountinfo_size);
	char self[4096];
	ssize_t n = fd_read_file_at(AT_FDCWD, "/proc/self/mountinfo", mountinfo, mountinfo_size);
	if (n < 0)
		return sup_err_set(err, (int)n, "reading /proc/self/mountinfo: %s", strerror((int)-n));
	n = fd_read_file_at(AT_FDCWD, "/proc/self/cgroup", self, sizeof(self));
	if (n < 0)
		return sup_err_set(err, (int)n, "reading /proc/self/cgroup: %s", strerror((int)-n));

	for (int i = 0; i < _CG_V1_MAX; i++) {
		struct cgroup_hier *h = &m->h[i];
		char mnt[PATH_MAX], own[PATH_MAX], base[PATH_MAX];
		h->controller = v1_controllers[i];
		if (cgroup_parse_v1_mount(mountinfo, h->controller, mnt, sizeof(mnt)) < 0 ||
		    cgroup_parse_proc_self(self, h->controller, own, sizeof(own)) < 0) {
			if (i == CG_V1_MEMORY)
				return sup_err_set(err, -ENOENT, "no cgroup v1 memory hierarchy is mounted and no cgroup v2 at %s", root);
			continue; /* that controller's limits are unavailable */
		}
		int r = cgroup_resolve_base(own, parent, base, sizeof(base));
		if (r < 0 || snprintf(h->base_dir, sizeof(h->base_dir), "%s%s", mnt, base) >= (int)sizeof(h->base_dir))
			return sup_err_set(err, -ENAMETOOLONG, "cgroup_parent '%s' is too long", parent);
		if ((r = cgroup_mkdir_p(h->base_dir, &h->created)) < 0)
			return sup_err_set(err, r, "creating %s: %s", h->base_dir, strerror(-r));
		h->base_fd = open(h->base_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (h->base_fd < 0)
			return sup_err_set(err, -errno, "opening %s: %s", h->base_dir, strerror(errno));
		if (i == CG_V1_MEMORY)
			snprintf(m->base_path, sizeof(m->base_path), "%s", base);
		m->n_hier++;
	}
	return 0;
}

static int write_limit(struct cgroup *cg, int hier, const char *file, const char *value, bool optional, struct sup_err *err)
{
	if (cg->fd[hier] < 0) {
		if (optional)
			return 0;
		return sup_err_set(err, -ENOTSUP, "cgroup %s: the v1 %s controller is not mounted, cannot set %s", cg->path,
				   v1_controllers[hier], file);
	}
	return cgroup_write_limit_at(cg->fd[hier], cg->path, file, value, optional, err);
}

static void oom_fd_list(struct cgroup_manager *m, struct cgroup_oom_fd *e)
{
	e->prev = NULL;
	e->next = m->oom_fds;
	if (m->oom_fds)
		m->oom_fds->prev = e;
	m->oom_fds = e;
}

static void oom_fd_unlist(struct cgroup_manager *m, struct cgroup_oom_fd *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		m->oom_fds = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
}

/* One group less on e: back in the list when it was full; closed when no
 * group is left (the kernel dropped the events of removed groups). */
static void oom_fd_put(struct cgroup_manager *m, struct cgroup_oom_fd *e)
{
	if (e->users == CGROUP_V1_OOM_FD_SHARE)
		oom_fd_list(m, e);
	if (--e->users > 0)
		return;
	oom_fd_unlist(m, e);
	close(e->fd);
	free(e);
}

static int v1_destroy(struct cgroup *cg)
{
	int ret = 0;
	for (int i = 0; i < _CG_V1_MAX; i++) {
		if (cg->m->h[i].base_fd < 0)
			continue;
		int r = cgroup_rmdir_at(cg->m->h[i].base_fd, cg->name);
		if (r < 0 && ret == 0)
			ret = r;
		/* The kernel signals the group's OOM eventfd once more as it
		 * drops the registration: not an OOM for the other groups on it. */
		if (r == 0 && i == CG_V1_MEMORY && cg->oom) {
			cg->oom->removals++;
			oom_fd_put(cg->m, cg->oom);
			cg->oom = NULL;
		}
	}
	return ret;
}

static int v1_create(struct cgroup_manager *m, const char *name, const struct cgroup_limits *l, struct cgroup **ret,
		     struct sup_err *err)
{
	struct cgroup *cg = cgroup_alloc(m, name);
	char v[64];
	int r = 0;
	for (int i = 0; i < _CG_V1_MAX; i++) {
		if (m->h[i].base_fd < 0)
			continue;
		if ((r = cgroup_mkdir_at(m->h[i].base_fd, name, &cg->fd[i])) < 0) {
			sup_err_set(err, r, "creating cgroup %s/%s: %s", m->h[i].base_dir, name, strerror(-r));
			goto fail;
		}
	}
	if (l->memory_max) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory_max);
		/* memsw (memory+swap) after the memory limit: the kernel wants memsw >= limit. */
		if ((r = write_limit(cg, CG_V1_MEMORY, "memory.limit_in_bytes", v, false, err)) < 0 ||
		    (r = write_limit(cg, CG_V1_MEMORY, "memory.memsw.limit_in_bytes", v, true, err)) < 0)
			goto fail;
	}
	if (l->cpu_millis) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->cpu_millis * 100);
		if ((r = write_limit(cg, CG_V1_CPU, "cpu.cfs_period_us", "100000", false, err)) < 0 ||
		    (r = write_limit(cg, CG_V1_CPU, "cpu.cfs_quota_us", v, false, err)) < 0)
			goto fail;
	}
	if (l->pids_max) {
		snprintf(v, sizeof(v), "%u", l->pids_max);
		if ((r = write_limit(cg, CG_V1_PIDS, "pids.max", v, false, err)) < 0)
			goto fail;
	}
	for (int i = 0; i < _CG_V1_MAX; i++)
		cg->fd[i] = fd_close(cg->fd[i]);
	*ret = cg;
	return 0;
fail:
	v1_destroy(cg);
	cgroup_free_common(cg);
	return r;
}

/* FILE of the group, relative to its hierarchy's base directory fd. */
static const char *v1_rel(const struct cgroup *cg, const char *file, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", cg->name, file);
	return buf;
}

static int v1_memory_fd(const struct cgroup *cg)
{
	return cg->m->h[CG_V1_MEMORY].base_fd;
}

static int v1_clone_fd(struct cgroup *cg)
{
	(void)cg;
	return -1; /* CLONE_INTO_CGROUP takes only v2 groups */
}

static int v1_procs_fds(struct cgroup *cg, int *ret_fds, int max)
{
	int n = 0;
	char rel[sizeof(cg->name) + 32];
	/* "tasks", not "cgroup.procs": the child moves only itself, a single
	 * thread, and the kernel then skips the global write lock on
	 * cgroup_threadgroup_rwsem, whose percpu_down_write() waits out an RCU
	 * grace period when no other migration ran just before (measured on
	 * 6.18: ~10 ms per cgroup.procs write vs ~80 us per tasks write; it
	 * was most of a container's start and of OOM kill to running again). */
	v1_rel(cg, "tasks", rel, sizeof(rel));
	for (int i = 0; i < _CG_V1_MAX; i++) {
		if (cg->m->h[i].base_fd < 0)
			continue;
		int fd = n < max ? openat(cg->m->h[i].base_fd, rel, O_WRONLY | O_CLOEXEC) : -1;
		if (fd < 0) {
			int r = n < max ? -errno : -ENOBUFS;
			while (n > 0)
				close(ret_fds[--n]);
			return r;
		}
		ret_fds[n++] = fd;
	}
	return n;
}

static int v1_oom_source(struct cgroup *cg, struct cgroup_oom_source *ret)
{
	struct cgroup_manager *m = cg->m;
	if (!cg->oom) {
		char rel[sizeof(cg->name) + 32];
		struct cgroup_oom_fd *e = m->oom_fds;
		if (!e) {
			int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (efd < 0)
				return -errno;
			e = xcalloc(1, sizeof(*e));
			e->fd = efd;
			oom_fd_list(m, e);
		}
		e->users++; /* from here on oom_fd_put() undoes it */
		if (e->users == CGROUP_V1_OOM_FD_SHARE)
			oom_fd_unlist(m, e);
		_cleanup_close_ int ofd = openat(v1_memory_fd(cg), v1_rel(cg, "memory.oom_control", rel, sizeof(rel)),
						 O_RDONLY | O_CLOEXEC);
		if (ofd < 0) {
			int r = -errno;
			oom_fd_put(m, e);
			return r;
		}
		/* The registration holds the eventfd and the group, not the
		 * memory.oom_control file: that fd only names the event at
		 * registration (kernel memcg_write_event_control) and is closed
		 * here, one fd less per container. */
		char line[64];
		snprintf(line, sizeof(line), "%d %d", e->fd, ofd);
		int r = fd_write_file_at(v1_memory_fd(cg), v1_rel(cg, "cgroup.event_control", rel, sizeof(rel)), line);
		if (r < 0) {
			oom_fd_put(m, e);
			return r;
		}
		cg->oom = e;
	}
	ret->fd = cg->oom->fd;
	ret->removals = &cg->oom->removals;
	ret->path[0] = 0;
	ret->early = true; /* the kernel signals at OOM time, before it picks and counts a victim */
	return 0;
}

static int v1_read_oom(struct cgroup *cg, struct cgroup_oom_counts *ret)
{
	char buf[256], rel[sizeof(cg->name) + 32];
	ssize_t n = fd_read_file_at(v1_memory_fd(cg), v1_rel(cg, "memory.oom_control", rel, sizeof(rel)), buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return cgroup_parse_oom_control(buf, ret);
}

static bool v1_is_removed(struct cgroup *cg)
{
	char rel[sizeof(cg->name) + 32];
	return faccessat(v1_memory_fd(cg), v1_rel(cg, "cgroup.event_control", rel, sizeof(rel)), F_OK, 0) < 0 && errno == ENOENT;
}

static int v1_kill_all(struct cgroup *cg)
{
	/* Freeze first so nothing can fork between reading cgroup.procs and the
	 * kill; without a freezer, repeat while new pids show up. The group's
	 * directories are opened for this only (see the top of the file). */
	_cleanup_close_ int memory = openat(v1_memory_fd(cg), cg->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (memory < 0)
		return errno == ENOENT ? 0 : -errno;
	int freezer_base = cg->m->h[CG_V1_FREEZER].base_fd;
	_cleanup_close_ int freezer = freezer_base >= 0 ? openat(freezer_base, cg->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	bool frozen = freezer >= 0 && fd_write_file_at(freezer, "freezer.state", "FROZEN") == 0;
	for (int pass = 0; pass < 16; pass++) {
		int n = cgroup_kill_procs_at(memory);
		if (n <= 0)
			break;
	}
	if (frozen)
		(void)fd_write_file_at(freezer, "freezer.state", "THAWED");
	/* Killed processes leave the group once they have exited; give them a
	 * moment (bounded: this runs on the loop). */
	for (int i = 0; i < 50 && !cgroup_is_empty_at(memory); i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return cgroup_is_empty_at(memory) ? 0 : -EBUSY;
}

static int v1_memory_current(struct cgroup *cg, uint64_t *ret)
{
	char rel[sizeof(cg->name) + 32];
	return cgroup_read_u64_at(v1_memory_fd(cg), v1_rel(cg, "memory.usage_in_bytes", rel, sizeof(rel)), ret);
}

static void v1_free(struct cgroup *cg)
{
	if (cg && cg->oom)
		oom_fd_put(cg->m, cg->oom);
	cgroup_free_common(cg);
}

static const char *v1_path(const struct cgroup *cg)
{
	return cg->path;
}

const struct cgroup_ops cgroup_v1_ops = {
	.name = "v1",
	.create = v1_create,
	.clone_fd = v1_clone_fd,
	.procs_fds = v1_procs_fds,
	.oom_source = v1_oom_source,
	.read_oom = v1_read_oom,
	.is_removed = v1_is_removed,
	.kill_all = v1_kill_all,
	.memory_current = v1_memory_current,
	.destroy = v1_destroy,
	.free = v1_free,
	.path = v1_path,
};
