/* spawn.c - see spawn.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "fd.h"
#include "procinfo.h"
#include "spawn.h"

#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

static long sys_clone3(struct clone_args *args)
{
	return syscall(SYS_clone3, args, sizeof(*args));
}

/* clone3() is missing (ENOSYS) under valgrind 3.19, the profiler the
 * benchmarks use: the same start through clone(), which takes the 32 low
 * flag bits (no CLONE_INTO_CGROUP, no CLONE_CLEAR_SIGHAND: the child then
 * moves itself into its cgroup and resets its handlers itself) and returns
 * the pidfd through parent_tid. Argument order as on x86-64 and arm64. */
static long sys_clone_fallback(const struct clone_args *args)
{
#if defined(__x86_64__) || defined(__aarch64__)
	uint64_t flags = args->flags & ~(CLONE_INTO_CGROUP | CLONE_CLEAR_SIGHAND);
	return syscall(SYS_clone, (unsigned long)(flags | args->exit_signal), 0UL, (void *)(uintptr_t)args->pidfd, NULL, 0UL);
#else
	(void)args;
	errno = ENOSYS;
	return -1;
#endif
}

int spawn_read_starttime(pid_t pid, uint64_t *ret)
{
	struct procinfo_stat st;
	int r = procinfo_read_stat(pid, &st);
	if (r == 0)
		*ret = st.starttime;
	return r;
}

char **spawn_build_env(const struct container_config *cfg)
{
	static const char *const defaults[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/",
		"container=sup",
	};
	char hostname_var[128];
	snprintf(hostname_var, sizeof(hostname_var), "HOSTNAME=%s", cfg->hostname);

	const char *vars[64 + ELEMENTSOF(defaults) + 1];
	int n = 0;
	for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
		size_t klen = strcspn(defaults[i], "=") + 1;
		int overridden = 0;
		for (int j = 0; j < cfg->n_env; j++)
			overridden |= !strncmp(cfg->env[j], defaults[i], klen);
		if (!overridden)
			vars[n++] = defaults[i];
	}
	int overridden = 0;
	for (int j = 0; j < cfg->n_env; j++)
		overridden |= !strncmp(cfg->env[j], "HOSTNAME=", 9);
	if (!overridden)
		vars[n++] = hostname_var;

	size_t bytes = 0;
	for (int i = 0; i < n; i++)
		bytes += strlen(vars[i]) + 1;
	for (int j = 0; j < cfg->n_env; j++)
		bytes += strlen(cfg->env[j]) + 1;
	size_t slots = (size_t)(n + cfg->n_env + 1);
	char **envp = xmalloc(slots * sizeof(char *) + bytes);
	char *s = (char *)(envp + slots);
	int k = 0;
	for (int i = 0; i < n + cfg->n_env; i++) {
		const char *v = i < n ? vars[i] : cfg->env[i - n];
		size_t len = strlen(v) + 1;
		memcpy(s, v, len);
		envp[k++] = s;
		s += len;
	}
	envp[k] = NULL;
	return envp;
}

static int write_id_map(pid_t pid, const char *file, const struct id_map *m, struct sup_err *err)
{
	char path[64], line[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	snprintf(line, sizeof(line), "%u %u %u\n", m->inside, m->outside, m->count);
	int r = fd_write_file_at(AT_FDCWD, path, line);
	if (r < 0)
		return sup_err_set(err, r, "writing %s: %s", path, strerror(-r));
	return 0;
}

/* The child's user namespace starts without ids: until these are written
 * it may not setuid to anything. Written by supd, which holds CAP_SETUID
 * and CAP_SETGID over the parent namespace, so the kernel accepts any
 * range and does not require "deny" in /proc/PID/setgroups first (that is
 * only for unprivileged writers of gid_map): the child can still drop its
 * supplementary groups. Done before the child is released. */
static int write_id_maps(pid_t pid, const struct container_config *cfg, struct sup_err *err)
{
	int r = write_id_map(pid, "uid_map", &cfg->uid_map, err);
	return r < 0 ? r : write_id_map(pid, "gid_map", &cfg->gid_map, err);
}

/* "sup-init -- COMMAND ARGS...": what the child executes with init = yes.
 * Built here because the child must not allocate; one allocation. */
static char **build_init_argv(char *const *argv)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **v = xmalloc((n + 3) * sizeof(char *));
	v[0] = (char *)"sup-init";
	v[1] = (char *)"--";
	for (size_t i = 0; i <= n; i++)
		v[i + 2] = argv[i];
	return v;
}

int spawn_clone(const struct spawn_request *req, struct spawn_child *ret, struct sup_err *err)
{
	const struct container_config *cfg = req->cfg;
	int sync_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	int pidfd = -1, r;
	/* The child gets its own copy of this memory at clone time. */
	_cleanup_free_ char **init_argv = req->init_fd >= 0 ? build_init_argv(cfg->argv) : NULL;

	if (pipe2(sync_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
		r = sup_err_set(err, -errno, "pipe: %s", strerror(errno));
		goto out;
	}

	struct child_args a = {
		.cfg = cfg,
		.envp = req->envp,
		.seccomp = req->seccomp,
		.sync_fd = sync_pipe[0],
		.err_fd = err_pipe[1],
		.stdin_fd = req->stdin_fd,
		.stdout_fd = req->stdout_fd,
		.stderr_fd = req->stderr_fd,
		.init_fd = req->init_fd,
		.init_argv = init_argv,
	};
	/* No CLONE_NEWNET: the child unshares its network namespace itself
	 * (child_main), off supd's loop. */
	uint64_t flags = CLONE_PIDFD | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_CLEAR_SIGHAND;
	/* Created first by the kernel, so it owns every other new namespace:
	 * the child has its capabilities over them, and none over the host. */
	if (cfg->userns)
		flags |= CLONE_NEWUSER;
	struct clone_args ca = {
		.flags = flags,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = SIGCHLD,
	};
	if (req->n_attach_fds > CHILD_MAX_ATTACH_FDS) {
		r = sup_err_set(err, -E2BIG, "too many cgroup hierarchies (%d)", req->n_attach_fds);
		goto out;
	}
	for (int i = 0; i < req->n_attach_fds; i++)
		a.attach_fds[i] = req->attach_fds[i];
	if (req->cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)req->cgroup_fd;
	} else
		a.n_attach_fds = req->n_attach_fds;

	/* Block every signal across clone so no handler of supd's (libuv's
	 * signal pipe!) can run in the child before it resets them. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	long pid;
	for (;;) {
		pid = sys_clone3(&ca);
		if (pid == 0)
			child_main(&a); /* never returns */
		/* Kernels before 5.7 reject CLONE_INTO_CGROUP, before 5.5
		 * CLONE_CLEAR_SIGHAND (EINVAL, or E2BIG for the larger struct):
		 * drop them one at a time; the child then moves itself into
		 * its cgroup, and it resets its signal handlers itself anyway. */
		if (pid < 0 && (errno == EINVAL || errno == E2BIG) && (ca.flags & CLONE_INTO_CGROUP)) {
			ca.flags &= ~CLONE_INTO_CGROUP;
			ca.cgroup = 0;
			a.n_attach_fds = req->n_attach_fds;
			continue;
		}
		if (pid < 0 && errno == EINVAL && (ca.flags & CLONE_CLEAR_SIGHAND)) {
			ca.flags &= ~CLONE_CLEAR_SIGHAND;
			continue;
		}
		if (pid < 0 && errno == ENOSYS) {
			a.n_attach_fds = req->n_attach_fds;
			pid = sys_clone_fallback(&ca);
			if (pid == 0)
				child_main(&a);
		}
		break;
	}
	int clone_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		r = sup_err_set(err, -clone_errno, "clone3: %s", strerror(clone_errno));
		goto out;
	}

	ret->pid = (pid_t)pid;
	ret->pidfd = pidfd;
	ret->sync_fd = TAKE_FD(sync_pipe[1]);
	ret->err_fd = TAKE_FD(err_pipe[0]);
	ret->starttime = 0;
	(void)fd_set_nonblock(ret->err_fd, 1);
	r = spawn_read_starttime(ret->pid, &ret->starttime);
	if (r < 0) {
		/* Cannot happen for a live child of ours; do not run it unrecorded. */
		spawn_release(ret, 0);
		close(ret->err_fd);
		close(ret->pidfd);
		r = sup_err_set(err, r, "reading start time of pid %d: %s", ret->pid, strerror(-r));
		goto out;
	}
	if (cfg->userns && (r = write_id_maps(ret->pid, cfg, err)) < 0) {
		spawn_release(ret, 0);
		close(ret->err_fd);
		close(ret->pidfd);
		goto out;
	}
	r = 0;
out:
	/* The child's ends, and everything on failure. */
	fd_close(sync_pipe[0]);
	fd_close(sync_pipe[1]);
	fd_close(err_pipe[0]);
	fd_close(err_pipe[1]);
	return r;
}

int spawn_release(struct spawn_child *c, int go)
{
	int r = go ? fd_write_all(c->sync_fd, "x", 1) : 0;
	c->sync_fd = fd_close(c->sync_fd);
	return r;
}
