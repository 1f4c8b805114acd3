/* cgroup_v1.c - the legacy per-controller backend (see cgroup.h).
 *
 * The same group name exists in each hierarchy supd uses: memory
 * (required: limits and OOM), cpu, pids, and freezer (for a race-free
 * teardown). The child is attached by writing its pid into every
 * hierarchy before it is released. OOM kills are announced by an eventfd
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

static int v1_destroy(struct cgroup *cg)
{
	int ret = 0;
	for (int i = 0; i < _CG_V1_MAX; i++) {
		if (cg->m->h[i].base_fd < 0)
			continue;
		int r = cgroup_rmdir_at(cg->m->h[i].base_fd, cg->name);
		if (r < 0 && ret == 0)
			ret = r;
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
	*ret = cg;
	return 0;
fail:
	v1_destroy(cg);
	cgroup_free_common(cg);
	return r;
}

static int v1_clone_fd(struct cgroup *cg)
{
	(void)cg;
	return -1; /* CLONE_INTO_CGROUP takes only v2 groups */
}

static int v1_procs_fds(struct cgroup *cg, int *ret_fds, int max)
{
	int n = 0;
	for (int i = 0; i < _CG_V1_MAX; i++) {
		if (cg->fd[i] < 0)
			continue;
		int fd = n < max ? openat(cg->fd[i], "cgroup.procs", O_WRONLY | O_CLOEXEC) : -1;
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
	if (cg->oom_fd < 0) {
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efd < 0)
			return -errno;
		int ofd = openat(cg->fd[CG_V1_MEMORY], "memory.oom_control", O_RDONLY | O_CLOEXEC);
		if (ofd < 0) {
			int r = -errno;
			close(efd);
			return r;
		}
		char line[64];
		snprintf(line, sizeof(line), "%d %d", efd, ofd);
		int r = fd_write_file_at(cg->fd[CG_V1_MEMORY], "cgroup.event_control", line);
		if (r < 0) {
			close(efd);
			close(ofd);
			return r;
		}
		cg->oom_fd = efd;
		cg->oom_control_fd = ofd;
	}
	ret->fd = cg->oom_fd;
	ret->path[0] = 0;
	ret->early = true; /* the kernel signals at OOM time, before it picks and counts a victim */
	return 0;
}

static int v1_read_oom(struct cgroup *cg, struct cgroup_oom_counts *ret)
{
	char buf[256];
	ssize_t n = fd_read_file_at(cg->fd[CG_V1_MEMORY], "memory.oom_control", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return cgroup_parse_oom_control(buf, ret);
}

static bool v1_is_removed(struct cgroup *cg)
{
	return faccessat(cg->fd[CG_V1_MEMORY], "cgroup.event_control", F_OK, 0) < 0 && errno == ENOENT;
}

static int v1_kill_all(struct cgroup *cg)
{
	/* Freeze first so nothing can fork between reading cgroup.procs and the
	 * kill; without a freezer, repeat while new pids show up. */
	int freezer = cg->fd[CG_V1_FREEZER];
	bool frozen = freezer >= 0 && fd_write_file_at(freezer, "freezer.state", "FROZEN") == 0;
	for (int pass = 0; pass < 16; pass++) {
		int n = cgroup_kill_procs_at(cg->fd[CG_V1_MEMORY]);
		if (n <= 0)
			break;
	}
	if (frozen)
		(void)fd_write_file_at(freezer, "freezer.state", "THAWED");
	/* Killed processes leave the group once they have exited; give them a
	 * moment (bounded: this runs on the loop). */
	for (int i = 0; i < 50 && !cgroup_is_empty_at(cg->fd[CG_V1_MEMORY]); i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return cgroup_is_empty_at(cg->fd[CG_V1_MEMORY]) ? 0 : -EBUSY;
}

static int v1_memory_current(struct cgroup *cg, uint64_t *ret)
{
	return cgroup_read_u64_at(cg->fd[CG_V1_MEMORY], "memory.usage_in_bytes", ret);
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
	.free = cgroup_free_common,
	.path = v1_path,
};
