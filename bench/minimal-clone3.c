/* minimal-clone3 ROOTFS [N] - the floor for one isolated container start.
 *
 * Does, N times (default 50), only what supd does to start a container that
 * runs /bin/true, in one process with nothing else around it:
 *   - a v1 memory cgroup below this process's own memory cgroup, with a
 *     16 MiB limit (memory.limit_in_bytes); on cgroup v2 a cgroup below our
 *     own with memory.max, entered with CLONE_INTO_CGROUP;
 *   - clone3(CLONE_NEWPID|NEWNS|NEWUTS|NEWIPC|NEWNET|NEWCGROUP|CLONE_PIDFD);
 *   - child (v1): writes 0 to the cgroup's tasks file (moving its one
 *     thread skips the kernel's global threadgroup lock, as supd's child
 *     does), waits on a pipe for the parent's go;
 *   - child: mounts private, bind-mounts ROOTFS onto itself, proc, a tmpfs
 *     /dev with null zero full random urandom tty (+ the fd/std* links,
 *     devpts, shm and mqueue supd also mounts), sysfs read-only,
 *     pivot_root(".", ".") and umount2(".", MNT_DETACH) of the old root,
 *     sethostname, execve /bin/true;
 *   - parent: waitid(P_PIDFD) for the exit, then rmdir the cgroup.
 * Prints one line per start: the microseconds from before the cgroup mkdir
 * to the reaped exit (the rmdir afterwards is not timed), then a summary.
 * Needs root. Build: cc -O2 -o minimal-clone3 minimal-clone3.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static const char *rootfs;
static char cg[4096];
static int v2;

static void die(const char *what)
{
	fprintf(stderr, "minimal-clone3: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void cfail(int fd, const char *what)
{
	dprintf(fd, "%s: %s", what, strerror(errno));
	_exit(127);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -1 : 0;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void child(int go_fd, int err_fd)
{
	char b;
	if (!v2) {
		char p[4200];
		snprintf(p, sizeof p, "%s/tasks", cg);
		if (write_file(p, "0") < 0)
			cfail(err_fd, "tasks");
	}
	if (read(go_fd, &b, 1) != 1)
		_exit(126);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		cfail(err_fd, "mount private");
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		cfail(err_fd, "bind rootfs");
	if (chdir(rootfs) < 0)
		cfail(err_fd, "chdir");
	mkdir("proc", 0555);
	if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		cfail(err_fd, "proc");
	mkdir("dev", 0755);
	if (mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, "mode=755,size=65536k") < 0)
		cfail(err_fd, "dev");
	static const struct { const char *n; int ma, mi; } nodes[] = {
		{ "dev/null", 1, 3 }, { "dev/zero", 1, 5 }, { "dev/full", 1, 7 },
		{ "dev/random", 1, 8 }, { "dev/urandom", 1, 9 }, { "dev/tty", 5, 0 },
	};
	umask(0);
	for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
		if (mknod(nodes[i].n, S_IFCHR | 0666, makedev(nodes[i].ma, nodes[i].mi)) < 0)
			cfail(err_fd, "mknod");
	umask(022);
	static const char *links[][2] = {
		{ "/proc/self/fd", "dev/fd" }, { "/proc/self/fd/0", "dev/stdin" },
		{ "/proc/self/fd/1", "dev/stdout" }, { "/proc/self/fd/2", "dev/stderr" },
		{ "pts/ptmx", "dev/ptmx" },
	};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		if (symlink(links[i][0], links[i][1]) < 0)
			cfail(err_fd, "symlink");
	mkdir("dev/pts", 0755);
	if (mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
		cfail(err_fd, "devpts");
	mkdir("dev/shm", 01777);
	if (mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
		cfail(err_fd, "shm");
	mkdir("dev/mqueue", 0755);
	if (mount("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		cfail(err_fd, "mqueue");
	mkdir("sys", 0555);
	if (mount("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		cfail(err_fd, "sys");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		cfail(err_fd, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		cfail(err_fd, "umount old root");
	if (chdir("/") < 0)
		cfail(err_fd, "chdir /");
	if (sethostname("floor", 5) < 0)
		cfail(err_fd, "sethostname");
	char *argv[] = { "/bin/true", NULL };
	char *envp[] = { "PATH=/bin:/sbin:/usr/bin:/usr/sbin", NULL };
	execve(argv[0], argv, envp);
	cfail(err_fd, "execve");
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: minimal-clone3 ROOTFS [N]\n");
		return 2;
	}
	rootfs = argv[1];
	int n = argc > 2 ? atoi(argv[2]) : 50;
	if (n < 1)
		n = 1;

	/* our own cgroup: v1 memory line, else the v2 "0::" line */
	char base[4096] = "", line[4096];
	FILE *f = fopen("/proc/self/cgroup", "r");
	if (!f)
		die("/proc/self/cgroup");
	struct stat st;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		const char *ctrls = c1 + 1;
		const char *path = c2 + 1;
		if (strstr(ctrls, "memory") && stat("/sys/fs/cgroup/memory", &st) == 0) {
			snprintf(base, sizeof base, "/sys/fs/cgroup/memory%s", path);
			v2 = 0;
			break;
		}
		if (*ctrls == 0 && stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) {
			snprintf(base, sizeof base, "/sys/fs/cgroup%s", path);
			v2 = 1;
		}
	}
	fclose(f);
	if (!*base) {
		fprintf(stderr, "minimal-clone3: no memory cgroup found\n");
		return 1;
	}

	double *lat = calloc(n, sizeof *lat);
	for (int i = 0; i < n; i++) {
		snprintf(cg, sizeof cg, "%s/minimal-clone3-%d-%d", base, getpid(), i);
		int go[2], err[2];
		if (pipe2(go, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
			die("pipe");
		double t0 = now_us();
		if (mkdir(cg, 0755) < 0)
			die(cg);
		char p[4200];
		snprintf(p, sizeof p, "%s/%s", cg, v2 ? "memory.max" : "memory.limit_in_bytes");
		if (write_file(p, "16777216") < 0)
			die(p);
		int cgfd = -1;
		if (v2 && (cgfd = open(cg, O_DIRECTORY | O_CLOEXEC)) < 0)
			die(cg);
		int pidfd = -1;
		struct clone_args ca;
		memset(&ca, 0, sizeof ca);
		ca.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
			   CLONE_NEWCGROUP | CLONE_PIDFD | (v2 ? CLONE_INTO_CGROUP : 0);
		ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
		ca.exit_signal = SIGCHLD;
		ca.cgroup = v2 ? (uint64_t)cgfd : 0;
		long pid = syscall(SYS_clone3, &ca, sizeof ca);
		if (pid < 0)
			die("clone3");
		if (pid == 0) {
			close(go[1]);
			close(err[0]);
			child(go[0], err[1]);
		}
		close(go[0]);
		close(err[1]);
		if (write(go[1], "g", 1) != 1)
			die("go");
		close(go[1]);
		siginfo_t si;
		memset(&si, 0, sizeof si);
		if (waitid(P_PIDFD, pidfd, &si, WEXITED) < 0)
			die("waitid");
		double t1 = now_us();
		char msg[256];
		ssize_t m = read(err[0], msg, sizeof msg - 1);
		close(err[0]);
		close(pidfd);
		if (cgfd >= 0)
			close(cgfd);
		/* the cgroup may still hold the exiting task for a moment */
		for (int k = 0; rmdir(cg) < 0 && errno == EBUSY && k < 1000; k++)
			usleep(1000);
		if (m > 0) {
			msg[m] = 0;
			fprintf(stderr, "minimal-clone3: child failed: %s\n", msg);
			return 1;
		}
		if (si.si_code != CLD_EXITED || si.si_status != 0) {
			fprintf(stderr, "minimal-clone3: /bin/true did not exit 0 (code %d status %d)\n", si.si_code, si.si_status);
			return 1;
		}
		lat[i] = t1 - t0;
		printf("%.0f\n", lat[i]);
	}
	qsort(lat, n, sizeof *lat, cmp);
	fprintf(stderr, "minimal-clone3: n=%d cgroup %s median %.0f us p90 %.0f us min %.0f max %.0f\n", n,
		v2 ? "v2" : "v1", lat[n / 2], lat[(int)(n * 0.9 + 0.5) >= n ? n - 1 : (int)(n * 0.9 + 0.5)], lat[0], lat[n - 1]);
	return 0;
}
