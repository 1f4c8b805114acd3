/* logs.c - `supctl logs`: print a container's log file, optionally only
 * its last lines, and follow it with inotify (no polling) across rotation:
 * when supd rotates NAME.log to NAME.log.1 a new NAME.log appears in the
 * directory, and the follower reopens it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"
#include "supctl.h"

/* Offset where the last n lines of fd begin (reading backwards). */
static off_t tail_offset(int fd, long n)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || n < 0)
		return 0;
	off_t end = st.st_size, pos = end;
	long newlines = 0;
	if (n == 0)
		return end;
	char buf[8192];
	while (pos > 0) {
		size_t k = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		pos -= (off_t)k;
		ssize_t got = pread(fd, buf, k, pos);
		if (got <= 0)
			return 0;
		for (ssize_t i = got - 1; i >= 0; i--) {
			/* the final newline ends the last line, it does not start one */
			if (buf[i] == '\n' && pos + i != end - 1 && ++newlines >= n)
				return pos + i + 1;
		}
	}
	return 0;
}

/* Copy fd from its current offset to stdout until EOF. */
static int copy_out(int fd)
{
	char buf[65536];
	for (;;) {
		ssize_t k = fd_read(fd, buf, sizeof(buf));
		if (k <= 0)
			return (int)k;
		int r = fd_write_all(STDOUT_FILENO, buf, (size_t)k);
		if (r < 0)
			return r;
	}
}

static int follow(const char *dir, const char *file, const char *path, int fd)
{
	int in = inotify_init1(IN_CLOEXEC);
	if (in < 0)
		return -errno;
	/* The directory: a new NAME.log after rotation. The file: appends. */
	int wd_dir = inotify_add_watch(in, dir, IN_CREATE | IN_MOVED_TO);
	int wd_file = inotify_add_watch(in, path, IN_MODIFY);
	if (wd_dir < 0 || wd_file < 0) {
		int r = -errno;
		close(in);
		return r;
	}
	char ev[sizeof(struct inotify_event) + NAME_MAX + 1] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = fd_read(in, ev, sizeof(ev));
		if (n < 0) {
			close(in);
			return (int)n;
		}
		bool reopen = false;
		for (char *p = ev; p < ev + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			if (e->wd == wd_dir && e->len && !strcmp(e->name, file))
				reopen = true;
			p += sizeof(*e) + e->len;
		}
		/* Drain what the old file still got, then switch to the new one. */
		copy_out(fd);
		if (reopen) {
			int nfd = open(path, O_RDONLY | O_CLOEXEC);
			if (nfd >= 0) {
				close(fd);
				fd = nfd;
				inotify_rm_watch(in, wd_file);
				wd_file = inotify_add_watch(in, path, IN_MODIFY);
				copy_out(fd);
			}
		}
		fflush(stdout);
	}
}

int supctl_logs(const struct supctl_opts *o, const char *name)
{
	char path[PATH_MAX], file[300];
	snprintf(file, sizeof(file), "%s.log", name);
	snprintf(path, sizeof(path), "%s/%s", o->log_dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "supctl: no log for '%s' at %s: it has not run under this configuration yet\n", name, path);
		else
			fprintf(stderr, "supctl: %s: %s\n", path, strerror(errno));
		return SUPCTL_FAIL;
	}
	if (o->lines >= 0)
		lseek(fd, tail_offset(fd, o->lines), SEEK_SET);
	int r = copy_out(fd);
	if (r == 0 && o->follow)
		r = follow(o->log_dir, file, path, fd);
	else
		close(fd);
	if (r < 0) {
		fprintf(stderr, "supctl: reading %s: %s\n", path, strerror(-r));
		return SUPCTL_FAIL;
	}
	return SUPCTL_OK;
}
