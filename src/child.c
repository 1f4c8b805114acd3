/* child.c - the container process from clone3() to execve() (see child.h).
 *
 * Order matters: wait for the parent first (it may still be placing us in
 * a cgroup), then enter a cgroup namespace rooted at that cgroup, then build
 * the mount tree under the bind-mounted rootfs, pivot_root into it and
 * detach the old root so nothing of the host stays reachable, and only then
 * drop privileges and exec. Nothing here allocates or logs. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <grp.h>
#include <linux/close_range.h>

#include "child.h"
#include "lockdown.h"
#include "rootfs.h"

static const char *const child_step_names[] = {
	[CHILD_STEP_FDS] = "fds",
	[CHILD_STEP_SIGNALS] = "signals",
	[CHILD_STEP_SESSION] = "session",
	[CHILD_STEP_CGROUP_ATTACH] = "cgroup-attach",
	[CHILD_STEP_NET_NS] = "network-namespace",
	[CHILD_STEP_SYNC] = "sync",
	[CHILD_STEP_CGROUP_NS] = "cgroup-namespace",
	[CHILD_STEP_STDIO] = "stdio",
	[CHILD_STEP_MOUNT_PRIVATE] = "mount-private",
	[CHILD_STEP_ROOTFS_BIND] = "rootfs-bind",
	[CHILD_STEP_MOUNT_POINTS] = "mount-points",
	[CHILD_STEP_USERNS_FS_IDS] = "userns-fs-ids",
	[CHILD_STEP_PROC] = "mount-proc",
	[CHILD_STEP_DEV] = "mount-dev",
	[CHILD_STEP_SYS] = "mount-sys",
	[CHILD_STEP_HOST_FILES] = "host-files",
	[CHILD_STEP_MASK_PATHS] = "mask-paths",
	[CHILD_STEP_PIVOT_ROOT] = "pivot_root",
	[CHILD_STEP_DETACH_OLD_ROOT] = "detach-old-root",
	[CHILD_STEP_READONLY_ROOTFS] = "readonly-rootfs",
	[CHILD_STEP_HOSTNAME] = "hostname",
	[CHILD_STEP_LOOPBACK] = "loopback",
	[CHILD_STEP_RLIMITS] = "rlimits",
	[CHILD_STEP_NO_NEW_PRIVS] = "no_new_privs",
	[CHILD_STEP_SECCOMP] = "seccomp",
	[CHILD_STEP_CAP_BOUNDING] = "capability-bounding-set",
	[CHILD_STEP_KEEPCAPS] = "keepcaps",
	[CHILD_STEP_SETGROUPS] = "setgroups",
	[CHILD_STEP_SETGID] = "setgid",
	[CHILD_STEP_SETUID] = "setuid",
	[CHILD_STEP_CAPS] = "capabilities",
	[CHILD_STEP_WORKDIR] = "workdir",
	[CHILD_STEP_EXECVE] = "execve",
	[CHILD_STEP_EXEC_INIT] = "exec-init",
};
static_assert(ELEMENTSOF(child_step_names) == _CHILD_STEP_MAX, "child_step_names");

const char *child_step_to_string(enum child_step step)
{
	return (unsigned)step < _CHILD_STEP_MAX ? child_step_names[step] : "unknown";
}

static _Noreturn void child_fail(const struct child_args *a, enum child_step step, int error)
{
	struct child_report r = { .step = step, .error = error > 0 ? error : EIO };
	/* Best effort: if the parent is gone there is nobody to tell. */
	ssize_t _unused_ k = write(a->err_fd, &r, sizeof(r));
	_exit(CHILD_EXIT_SETUP);
}

static int cmp_int(const void *x, const void *y)
{
	return *(const int *)x - *(const int *)y;
}

/* Close every inherited fd except ours at once, so descriptors of other
 * containers (their exec-error pipes above all) are not held open by us
 * until our own execve. */
static int close_foreign_fds(const struct child_args *a)
{
	int keep[6 + CHILD_MAX_ATTACH_FDS] = { a->sync_fd, a->err_fd, a->stdin_fd, a->stdout_fd, a->stderr_fd };
	size_t n_keep = 5;
	if (a->init_fd >= 0)
		keep[n_keep++] = a->init_fd;
	for (int i = 0; i < a->n_attach_fds; i++)
		keep[n_keep++] = a->attach_fds[i];
	qsort(keep, n_keep, sizeof(int), cmp_int);
	unsigned lo = 3;
	for (size_t i = 0; i < n_keep; i++) {
		if (keep[i] < (int)lo) {
			continue;
		}
		if ((unsigned)keep[i] > lo && close_range(lo, (unsigned)keep[i] - 1, 0) < 0)
			return -errno;
		lo = (unsigned)keep[i] + 1;
	}
	return close_range(lo, ~0U, 0) < 0 ? -errno : 0;
}

static int reset_signals(void)
{
	/* CLONE_CLEAR_SIGHAND resets handled signals, but ignored ones (supd
	 * ignores SIGPIPE) survive execve: reset every one. */
	for (int sig = 1; sig < _NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (signal(sig, SIG_DFL) == SIG_ERR && errno != EINVAL)
			return -errno;
	}
	sigset_t none;
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL) < 0 ? -errno : 0;
}

static int wait_for_parent(int sync_fd)
{
	char c;
	for (;;) {
		ssize_t k = read(sync_fd, &c, 1);
		if (k == 1)
			return 0;
		if (k == 0)
			return -ECANCELED; /* supd died or gave up on us */
		if (errno != EINTR)
			return -errno;
	}
}

static int setup_stdio(const struct child_args *a)
{
	if (dup2(a->stdin_fd, 0) < 0 || dup2(a->stdout_fd, 1) < 0 || dup2(a->stderr_fd, 2) < 0)
		return -errno;
	return 0;
}

static int loopback_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	int r = 0;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	else {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			r = -errno;
	}
	close(s);
	return r;
}

static bool runs_as_root(const struct container_config *cfg)
{
	return !cfg->has_user || cfg->uid == 0;
}

/* With userns, even root inside must be set explicitly: until now the
 * child kept supd's ids (host root, which the namespace does not map, so
 * that setup could work on a rootfs owned by host root); setuid(0) in the
 * namespace makes it uid_map's outside id. */
static int set_credentials(const struct container_config *cfg, enum child_step *ret_step)
{
	if (!cfg->has_user && !cfg->userns)
		return 0;
	if (!runs_as_root(cfg) && cfg->keep_capabilities) {
		/* Otherwise setresuid() away from 0 empties the permitted set. */
		*ret_step = CHILD_STEP_KEEPCAPS;
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return -errno;
	}
	uid_t uid = cfg->has_user ? cfg->uid : 0;
	gid_t gid = cfg->has_user ? cfg->gid : 0;
	*ret_step = CHILD_STEP_SETGROUPS;
	if (setgroups(0, NULL) < 0)
		return -errno;
	*ret_step = CHILD_STEP_SETGID;
	if (setresgid(gid, gid, gid) < 0)
		return -errno;
	*ret_step = CHILD_STEP_SETUID;
	if (setresuid(uid, uid, uid) < 0)
		return -errno;
	return 0;
}

/* execvpe() searches the PATH of supd's environment; the container's own
 * PATH is what must count. No allocation: candidates are built on the stack. */
static int exec_command(char *const *argv, char *const *envp)
{
	const char *file = argv[0];
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return -errno;
	}
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (char *const *e = envp; *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	int best = -ENOENT;
	char buf[4096];
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t n = (size_t)(end - p);
		if (n == 0) /* empty element means the current directory */
			snprintf(buf, sizeof(buf), "%s", file);
		else
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, file);
		execve(buf, argv, envp);
		if (errno == EACCES)
			best = -EACCES; /* as execvp: report EACCES over ENOENT */
		else if (errno != ENOENT && errno != ENOTDIR)
			return -errno;
		if (!*end)
			break;
		p = end;
	}
	return best;
}

_Noreturn void child_main(const struct child_args *a)
{
	const struct container_config *cfg = a->cfg;
	enum child_step step = CHILD_STEP_FDS;
	int r;

	if ((r = close_foreign_fds(a)) < 0)
		goto fail;
	step = CHILD_STEP_SIGNALS;
	if ((r = reset_signals()) < 0)
		goto fail;
	/* A session of its own, without a controlling terminal: in supd's,
	 * the container could open supd's terminal as /dev/tty (and type into
	 * the operator's shell with TIOCSTI) and would get the terminal's
	 * Ctrl-C directly; supd stops it with its stop_signal instead. */
	step = CHILD_STEP_SESSION;
	if (setsid() < 0) {
		r = -errno;
		goto fail;
	}
	step = CHILD_STEP_CGROUP_ATTACH;
	for (int i = 0; i < a->n_attach_fds; i++) {
		if (write(a->attach_fds[i], "0", 1) != 1) {
			r = -errno;
			goto fail;
		}
		close(a->attach_fds[i]);
	}
	/* The network namespace is made here, not by clone3(): setting one up
	 * (loopback device, per-namespace sysctl tables) was half of what
	 * clone3() cost supd's loop; here it runs in the child, on another CPU
	 * if there is one, before supd's go. After the cgroup attach, so that
	 * its kernel memory is charged to the container. */
	if (cfg->network == NETWORK_NONE) {
		step = CHILD_STEP_NET_NS;
		if (unshare(CLONE_NEWNET) < 0) {
			r = -errno;
			goto fail;
		}
	}
	step = CHILD_STEP_SYNC;
	if ((r = wait_for_parent(a->sync_fd)) < 0)
		_exit(CHILD_EXIT_SETUP); /* no one to report to */
	close(a->sync_fd);

	/* Only now are we in the container's cgroup (the parent may have moved
	 * us there on cgroup v1), so the namespace is rooted at it. */
	step = CHILD_STEP_CGROUP_NS;
	if (unshare(CLONE_NEWCGROUP) < 0) {
		r = -errno;
		goto fail;
	}
	step = CHILD_STEP_STDIO;
	if ((r = setup_stdio(a)) < 0)
		goto fail;

	if ((r = rootfs_setup(cfg, &step)) < 0)
		goto fail;

	step = CHILD_STEP_HOSTNAME;
	if (sethostname(cfg->hostname, strlen(cfg->hostname)) < 0) {
		r = -errno;
		goto fail;
	}
	if (cfg->network == NETWORK_NONE) {
		step = CHILD_STEP_LOOPBACK;
		if ((r = loopback_up()) < 0)
			goto fail;
	}
	/* Lock-down, in the only order that works: rlimits while we still
	 * hold CAP_SYS_RESOURCE; no_new_privs and the seccomp filter while
	 * we are still root with every capability, so the filter goes in
	 * even with no_new_privs = no and a non-root user (seccomp() needs
	 * one or the other). The filter refuses none of the calls that
	 * follow (prctl, capset, set*id, chdir, execve). Then the bounding
	 * set (needs CAP_SETPCAP), the switch of user (CAP_SETUID/SETGID),
	 * and last the capability sets themselves. */
	step = CHILD_STEP_RLIMITS;
	if ((r = lockdown_rlimits(cfg)) < 0)
		goto fail;
	step = CHILD_STEP_NO_NEW_PRIVS;
	if (cfg->no_new_privs && (r = lockdown_no_new_privs()) < 0)
		goto fail;
	step = CHILD_STEP_SECCOMP;
	if (a->seccomp && (r = lockdown_seccomp(a->seccomp)) < 0)
		goto fail;
	step = CHILD_STEP_CAP_BOUNDING;
	if ((r = lockdown_bounding(cfg->capabilities)) < 0)
		goto fail;
	if ((r = set_credentials(cfg, &step)) < 0)
		goto fail;
	/* A non-root user has no capabilities unless asked to keep them;
	 * root keeps the configured set (execve would give it the bounding
	 * set anyway). */
	step = CHILD_STEP_CAPS;
	bool as_root = runs_as_root(cfg);
	if ((r = lockdown_set_caps(as_root || cfg->keep_capabilities ? cfg->capabilities : 0,
				   !as_root && cfg->keep_capabilities)) < 0)
		goto fail;
	step = CHILD_STEP_WORKDIR;
	if (chdir(cfg->workdir ? cfg->workdir : "/") < 0) {
		r = -errno;
		goto fail;
	}
	if (a->init_fd >= 0) {
		/* From the descriptor supd opened on the host: the rootfs needs
		 * no copy, and a static binary needs no loader from it. The
		 * init searches the container's PATH for the command. */
		step = CHILD_STEP_EXEC_INIT;
		syscall(SYS_execveat, a->init_fd, "", a->init_argv, a->envp, AT_EMPTY_PATH);
		r = -errno;
		goto fail;
	}
	step = CHILD_STEP_EXECVE;
	r = exec_command(cfg->argv, a->envp);
fail:
	child_fail(a, step, -r);
}
