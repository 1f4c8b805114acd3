/* fd.h - small file-descriptor helpers (no libuv, no SQLite). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* read(2), retried on EINTR. Bytes read (0 at EOF) or -errno. */
ssize_t fd_read(int fd, void *buf, size_t n);

/* Write all of buf, retrying on EINTR and short writes. 0 or -errno. */
int fd_write_all(int fd, const void *buf, size_t n);
/* The same; *ret_written says how much was written, also on failure. */
int fd_write_all_count(int fd, const void *buf, size_t n, size_t *ret_written);

/* Read up to size-1 bytes of dirfd/path into buf, NUL-terminated.
 * Returns bytes read or -errno. */
ssize_t fd_read_file_at(int dirfd, const char *path, char *buf, size_t size);

/* Read all of fd into a new NUL-terminated buffer (*ret, free()), growing
 * it as needed up to max bytes (-EFBIG beyond). *ret_len gets the length. */
int fd_read_all(int fd, size_t max, char **ret, size_t *ret_len);

/* Write the string to dirfd/path (O_WRONLY|O_TRUNC, no create). 0 or -errno. */
int fd_write_file_at(int dirfd, const char *path, const char *s);

/* Set or clear O_NONBLOCK / FD_CLOEXEC. 0 or -errno. */
int fd_set_nonblock(int fd, int on);
int fd_set_cloexec(int fd, int on);

/* close() that returns -1 so `fd = fd_close(fd)` reads naturally. */
int fd_close(int fd);
