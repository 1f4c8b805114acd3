/* cgroup.c - hierarchy detection, the pure parsers, and helpers shared by
 * the v1 and v2 backends (see cgroup.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup-internal.h"
#include "fd.h"
#include "macro.h"

int cgroup_parse_proc_self(const char *text, const char *controller, char *ret, size_t size)
{
	const char *line = text;
	while (line && *line) {
		const char *end = strchrnul(line, '\n');
		/* "ID:CONTROLLERS:PATH" */
		const char *c1 = memchr(line, ':', (size_t)(end - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
		if (c2) {
			bool match;
			if (!controller)
				match = c2 == c1 + 1 && !strncmp(line, "0:", 2);
			else {
				match = false;
				for (const char *p = c1 + 1; p < c2;) {
					const char *comma = memchr(p, ',', (size_t)(c2 - p));
					const char *e = comma ? comma : c2;
					if ((size_t)(e - p) == strlen(controller) && !strncmp(p, controller, (size_t)(e - p)))
						match = true;
					p = e + 1;
				}
			}
			if (match) {
				size_t n = (size_t)(end - c2 - 1);
				if (n + 1 > size)
					return -ENAMETOOLONG;
				memcpy(ret, c2 + 1, n);
				ret[n] = 0;
				return 0;
			}
		}
		line = *end ? end + 1 : NULL;
	}
	return -ENOENT;
}

static int parse_flat_keyed(const char *text, const char *const *keys, uint64_t *const *vals, size_t n)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchrnul(line, '\n');
		const char *sp = memchr(line, ' ', (size_t)(end - line));
		if (sp) {
			for (size_t i = 0; i < n; i++)
				if ((size_t)(sp - line) == strlen(keys[i]) && !strncmp(line, keys[i], (size_t)(sp - line))) {
					char *e;
					errno = 0;
					unsigned long long v = strtoull(sp + 1, &e, 10);
					if (errno || e == sp + 1)
						return -EINVAL;
					*vals[i] = v;
				}
		}
		line = *end ? end + 1 : NULL;
	}
	return 0;
}

int cgroup_parse_memory_events(const char *text, struct cgroup_oom_counts *ret)
{
	static const char *const keys[] = { "oom", "oom_kill", "oom_group_kill", "max" };
	memset(ret, 0, sizeof(*ret));
	uint64_t *const vals[] = { &ret->oom, &ret->oom_kill, &ret->oom_group_kill, &ret->max };
	return parse_flat_keyed(text, keys, vals, ELEMENTSOF(keys));
}

int cgroup_parse_oom_control(const char *text, struct cgroup_oom_counts *ret)
{
	static const char *const keys[] = { "oom_kill" };
	memset(ret, 0, sizeof(*ret));
	uint64_t *const vals[] = { &ret->oom_kill };
	return parse_flat_keyed(text, keys, vals, ELEMENTSOF(keys));
}

/* mountinfo writes space, tab, newline and backslash as \ooo (proc(5)). */
static void unescape_octal(char *s)
{
	char *w = s;
	for (const char *r = s; *r; w++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else
			*w = *r++;
	}
	*w = 0;
}

int cgroup_parse_v1_mount(const char *mountinfo, const char *controller, char *ret, size_t size)
{
	for (const char *line = mountinfo; line && *line;) {
		const char *end = strchrnul(line, '\n');
		char buf[4096];
		size_t n = (size_t)(end - line) < sizeof(buf) - 1 ? (size_t)(end - line) : sizeof(buf) - 1;
		memcpy(buf, line, n);
		buf[n] = 0;
		line = *end ? end + 1 : NULL;
		/* ... MOUNTPOINT OPTIONS [optional...] - FSTYPE SOURCE SUPEROPTS */
		char *dash = strstr(buf, " - ");
		char point[4096], fstype[64], source[256], superopts[1024];
		if (!dash || sscanf(buf, "%*s %*s %*s %*s %4095s", point) != 1 ||
		    sscanf(dash + 3, "%63s %255s %1023s", fstype, source, superopts) != 3 || strcmp(fstype, "cgroup"))
			continue;
		for (char *save = NULL, *opt = strtok_r(superopts, ",", &save); opt; opt = strtok_r(NULL, ",", &save))
			if (!strcmp(opt, controller)) {
				unescape_octal(point);
				if (strlen(point) + 1 > size)
					return -ENAMETOOLONG;
				strcpy(ret, point);
				return 0;
			}
	}
	return -ENOENT;
}

int cgroup_resolve_base(const char *own, const char *parent, char *ret, size_t size)
{
	int n;
	if (parent[0] == '/')
		n = snprintf(ret, size, "%s", parent);
	else
		n = snprintf(ret, size, "%s/%s", strcmp(own, "/") ? own : "", !strcmp(parent, "auto") ? "sup" : parent);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int cgroup_mkdir_p(const char *dir, bool *ret_created)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	*ret_created = false;
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char saved = *p;
		*p = 0;
		if (mkdir(buf, 0755) == 0)
			*ret_created = !saved;
		else if (errno != EEXIST)
			return -errno;
		*p = saved;
		if (!saved)
			return 0;
	}
}

int cgroup_mkdir_at(int dirfd, const char *name, int *ret_fd)
{
	/* A leftover group of the same name (supd killed earlier) is reused. */
	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* One pass over cgroup.procs; returns how many pids it signalled. */
int cgroup_kill_procs_at(int dirfd)
{
	_cleanup_close_ int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "r");
	if (!f)
		return -errno;
	fd = -1;
	int n = 0, pid;
	while (fscanf(f, "%d", &pid) == 1)
		if (kill(pid, SIGKILL) == 0)
			n++;
	fclose(f);
	return n;
}

int cgroup_rmdir_at(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int cgroup_write_limit_at(int dirfd, const char *path, const char *file, const char *value, bool optional,
			  struct sup_err *err)
{
	int r = fd_write_file_at(dirfd, file, value);
	if (r == -ENOENT && optional)
		return 0;
	if (r < 0)
		return sup_err_set(err, r, "cgroup %s: writing %s to %s: %s", path, value, file, strerror(-r));
	return 0;
}

bool cgroup_is_empty_at(int dirfd)
{
	char buf[64];
	return fd_read_file_at(dirfd, "cgroup.procs", buf, sizeof(buf)) == 0;
}

int cgroup_read_u64_at(int dirfd, const char *file, uint64_t *ret)
{
	char buf[64];
	ssize_t n = fd_read_file_at(dirfd, file, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	*ret = v;
	return 0;
}

struct cgroup *cgroup_alloc(struct cgroup_manager *m, const char *name)
{
	struct cgroup *cg = xcalloc(1, sizeof(*cg));
	cg->m = m;
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	char path[PATH_MAX + 130];
	snprintf(path, sizeof(path), "%s/%s", strcmp(m->base_path, "/") ? m->base_path : "", name);
	cg->path = xstrdup(path);
	for (int i = 0; i < _CG_V1_MAX; i++)
		cg->fd[i] = -1;
	return cg;
}

int cgroup_open_existing(struct cgroup_manager *m, const char *name, struct cgroup **ret)
{
	struct cgroup *cg = cgroup_alloc(m, name);
	int found = 0;
	for (int i = 0; i < _CG_V1_MAX; i++) {
		if (m->h[i].base_fd < 0)
			continue;
		cg->fd[i] = openat(m->h[i].base_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg->fd[i] >= 0)
			found++;
		else if (errno != ENOENT) {
			int r = -errno;
			cgroup_free_common(cg);
			return r;
		}
	}
	if (!found) {
		cgroup_free_common(cg);
		return -ENOENT;
	}
	/* v1 reaches a group's files through the base fds (no fds per group). */
	if (m->ops == &cgroup_v1_ops)
		for (int i = 0; i < _CG_V1_MAX; i++)
			cg->fd[i] = fd_close(cg->fd[i]);
	*ret = cg;
	return 0;
}

void cgroup_free_common(struct cgroup *cg)
{
	if (!cg)
		return;
	for (int i = 0; i < _CG_V1_MAX; i++)
		fd_close(cg->fd[i]);
	free(cg->path);
	free(cg);
}

static bool is_cgroup2(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

int cgroup_open(const char *root, const char *parent, struct cgroup_manager **ret, struct sup_err *err)
{
	struct cgroup_manager *m = xcalloc(1, sizeof(*m));
	for (int i = 0; i < _CG_V1_MAX; i++)
		m->h[i].base_fd = -1;
	int r;
	/* A unified mount at the root is v2. A hybrid host (v1 controllers
	 * plus a cgroup2 mount with few or no controllers) is used as v1. */
	if (is_cgroup2(root)) {
		m->ops = &cgroup_v2_ops;
		r = cgroup_v2_open(m, root, parent, err);
	} else {
		m->ops = &cgroup_v1_ops;
		r = cgroup_v1_open(m, root, parent, err);
	}
	if (r < 0) {
		cgroup_close(m);
		return r;
	}
	*ret = m;
	return 0;
}

void cgroup_close(struct cgroup_manager *m)
{
	if (!m)
		return;
	for (int i = 0; i < _CG_V1_MAX; i++) {
		struct cgroup_hier *h = &m->h[i];
		h->base_fd = fd_close(h->base_fd);
		/* Only what we created, and only when empty (rmdir refuses otherwise). */
		if (h->created)
			(void)rmdir(h->base_dir);
	}
	free(m);
}

const struct cgroup_ops *cgroup_manager_ops(const struct cgroup_manager *m)
{
	return m->ops;
}

const char *cgroup_manager_base(const struct cgroup_manager *m)
{
	return m->base_path;
}

/* The directory of pid's cgroup for controller (v1) or the unified one. */
static int usage_dir(const char *root, bool v2, const char *procself, const char *mountinfo, const char *controller,
		     char *ret, size_t size)
{
	char path[PATH_MAX], mnt[PATH_MAX];
	int r = cgroup_parse_proc_self(procself, v2 ? NULL : controller, path, sizeof(path));
	if (r < 0)
		return r;
	if (v2)
		snprintf(mnt, sizeof(mnt), "%s", root);
	else if ((r = cgroup_parse_v1_mount(mountinfo, controller, mnt, sizeof(mnt))) < 0)
		return r;
	return snprintf(ret, size, "%s%s", mnt, path) < (int)size ? 0 : -ENAMETOOLONG;
}

int cgroup_read_usage(const char *root, pid_t pid, uint64_t *ret_memory, uint64_t *ret_max, uint64_t *ret_pids)
{
	const size_t max = 256 * 1024;
	_cleanup_free_ char *mountinfo = xmalloc(max);
	char procself[4096], dir[PATH_MAX], buf[64];
	bool v2 = is_cgroup2(root);
	snprintf(dir, sizeof(dir), "/proc/%d/cgroup", (int)pid);
	ssize_t n = fd_read_file_at(AT_FDCWD, dir, procself, sizeof(procself));
	if (n < 0)
		return (int)n;
	mountinfo[0] = 0;
	if (!v2 && (n = fd_read_file_at(AT_FDCWD, "/proc/self/mountinfo", mountinfo, max)) < 0)
		return (int)n;
	int r = usage_dir(root, v2, procself, mountinfo, "memory", dir, sizeof(dir));
	if (r < 0)
		return r;
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((r = cgroup_read_u64_at(fd, v2 ? "memory.current" : "memory.usage_in_bytes", ret_memory)) < 0)
		return r;
	*ret_max = 0;
	/* v2 says "max"; v1 says a page-rounded LONG_MAX: both mean no limit. */
	if (fd_read_file_at(fd, v2 ? "memory.max" : "memory.limit_in_bytes", buf, sizeof(buf)) > 0 && strncmp(buf, "max", 3)) {
		uint64_t v = strtoull(buf, NULL, 10);
		*ret_max = v >= (1ULL << 62) ? 0 : v;
	}
	*ret_pids = 0;
	if (usage_dir(root, v2, procself, mountinfo, "pids", dir, sizeof(dir)) == 0) {
		_cleanup_close_ int pfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd >= 0)
			(void)cgroup_read_u64_at(pfd, "pids.current", ret_pids);
	}
	return 0;
}
