/* procinfo.c - see procinfo.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd.h"
#include "procinfo.h"

/* Debian 12's kernel headers predate PIDFD_GET_INFO (6.13): the first,
 * stable version of its argument. The kernel takes any size from VER0 up. */
struct sup_pidfd_info {
	uint64_t mask;
	uint64_t cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
};
#define SUP_PIDFD_GET_INFO _IOWR(0xFF, 11, struct sup_pidfd_info)
#define SUP_PIDFD_INFO_EXIT (1ULL << 3)

int procinfo_parse_stat(const char *text, struct procinfo_stat *ret)
{
	/* comm (field 2) may hold spaces and ')': fields resume after the last ')'. */
	const char *p = strrchr(text, ')');
	if (!p)
		return -EINVAL;
	struct procinfo_stat st = { .exit_status = -1 };
	p++;
	for (int field = 3; field <= 52; field++) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break; /* kernels before 3.5 end early: no exit_code */
		char *end;
		if (field == 3)
			st.state = *p;
		else if (field == 4)
			st.ppid = (pid_t)strtol(p, &end, 10);
		else if (field == 22)
			st.starttime = strtoull(p, &end, 10);
		else if (field == 52)
			st.exit_status = (int)strtol(p, &end, 10);
		p = strchr(p, ' ');
		if (!p) {
			if (field < 22)
				return -EINVAL;
			break;
		}
	}
	if (!st.state || !st.starttime)
		return -EINVAL;
	*ret = st;
	return 0;
}

int procinfo_read_stat(pid_t pid, struct procinfo_stat *ret)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ssize_t n = fd_read_file_at(AT_FDCWD, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return procinfo_parse_stat(buf, ret);
}

bool procinfo_in_cgroup(pid_t pid, const char *cgroup_path)
{
	char path[64], buf[8192];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (fd_read_file_at(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return false;
	size_t want = strlen(cgroup_path);
	for (char *line = buf; line && *line;) {
		char *end = strchrnul(line, '\n');
		/* "ID:CONTROLLERS:PATH" */
		char *c1 = memchr(line, ':', (size_t)(end - line));
		char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
		if (c2 && (size_t)(end - c2 - 1) == want && !memcmp(c2 + 1, cgroup_path, want))
			return true;
		line = *end ? end + 1 : NULL;
	}
	return false;
}

int procinfo_pidfd_exit_status(int pidfd, int *ret_status)
{
	struct sup_pidfd_info info = { .mask = SUP_PIDFD_INFO_EXIT };
	if (ioctl(pidfd, SUP_PIDFD_GET_INFO, &info) < 0)
		return errno == ESRCH ? -ENODATA : -errno;
	if (!(info.mask & SUP_PIDFD_INFO_EXIT))
		return -ENODATA;
	*ret_status = info.exit_code;
	return 0;
}

int procinfo_open_verified(pid_t pid, uint64_t starttime, const char *cgroup_path, struct procinfo_stat *ret_stat)
{
	if (pid <= 0)
		return -ESRCH;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	struct procinfo_stat st;
	int r = procinfo_read_stat(pid, &st);
	if (r < 0 || st.starttime != starttime) {
		close(pidfd);
		return r == -ENOENT || r == 0 ? -ESRCH : r;
	}
	/* A zombie has left its cgroup already; only a live one can be checked. */
	if (cgroup_path && st.state != 'Z' && st.state != 'X' && !procinfo_in_cgroup(pid, cgroup_path)) {
		close(pidfd);
		return -EXDEV;
	}
	*ret_stat = st;
	return pidfd;
}

int procinfo_foreign_exit_status(int pidfd, pid_t pid, uint64_t starttime, int *ret_status)
{
	/* The zombie first: its parent (PID 1 or a subreaper) may take its time
	 * to reap, and PIDFD_INFO_EXIT is only filled by the reap. */
	struct procinfo_stat st;
	if (procinfo_read_stat(pid, &st) == 0 && st.starttime == starttime && st.state == 'Z' && st.exit_status >= 0) {
		*ret_status = st.exit_status;
		return 0;
	}
	if (pidfd >= 0 && procinfo_pidfd_exit_status(pidfd, ret_status) == 0)
		return 0;
	return -ENODATA;
}
