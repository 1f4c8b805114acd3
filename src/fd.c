/* fd.c - see fd.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fd.h"
#include "macro.h"

ssize_t fd_read(int fd, void *buf, size_t n)
{
	for (;;) {
		ssize_t k = read(fd, buf, n);
		if (k >= 0 || errno != EINTR)
			return k < 0 ? -errno : k;
	}
}

int fd_write_all_count(int fd, const void *buf, size_t n, size_t *ret_written)
{
	const char *p = buf;
	*ret_written = 0;
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
		*ret_written += (size_t)k;
	}
	return 0;
}

int fd_write_all(int fd, const void *buf, size_t n)
{
	size_t written;
	return fd_write_all_count(fd, buf, n, &written);
}

ssize_t fd_read_file_at(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t got = 0;
	while (got + 1 < size) {
		ssize_t k = fd_read(fd, buf + got, size - 1 - got);
		if (k < 0)
			return k;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	buf[got] = 0;
	return (ssize_t)got;
}

int fd_read_all(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 0;
	for (;;) {
		if (len == size) {
			if (size >= max)
				return -EFBIG;
			size = size ? 2 * size : 4096;
			buf = xrealloc(buf, size + 1);
		}
		ssize_t k = fd_read(fd, buf + len, size - len);
		if (k < 0)
			return (int)k;
		if (k == 0)
			break;
		len += (size_t)k;
	}
	buf[len] = 0;
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int fd_write_file_at(int dirfd, const char *path, const char *s)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* cgroup files take one write per value; a short write is an error. */
	size_t n = strlen(s);
	ssize_t k = write(fd, s, n);
	if (k < 0)
		return -errno;
	return (size_t)k == n ? 0 : -EIO;
}

int fd_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

int fd_set_cloexec(int fd, int on)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0)
		return -errno;
	fl = on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, fl) < 0 ? -errno : 0;
}

int fd_close(int fd)
{
	if (fd >= 0)
		close(fd);
	return -1;
}
