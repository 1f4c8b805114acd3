/* logfile.c - see logfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"
#include "logfile.h"
#include "macro.h"

static int open_append(const char *path, uint64_t *ret_size)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	struct stat st;
	*ret_size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return fd;
}

void logfile_set_init(struct logfile_set *set, int max_open)
{
	memset(set, 0, sizeof(*set));
	set->max_open = max_open > 0 ? max_open : 1;
}

static void set_unlink(struct logfile *lf)
{
	struct logfile_set *set = lf->set;
	if (lf->newer)
		lf->newer->older = lf->older;
	else
		set->head = lf->older;
	if (lf->older)
		lf->older->newer = lf->newer;
	else
		set->tail = lf->newer;
	lf->newer = lf->older = NULL;
}

static void set_push(struct logfile *lf)
{
	struct logfile_set *set = lf->set;
	lf->older = set->head;
	lf->newer = NULL;
	if (set->head)
		set->head->newer = lf;
	else
		set->tail = lf;
	set->head = lf;
}

/* Close lf's fd (it was open) and leave the set's list. */
static void release_fd(struct logfile *lf)
{
	set_unlink(lf);
	lf->set->n_open--;
	lf->fd = fd_close(lf->fd);
}

/* lf's fd, opened if needed (closing the least recently written file of
 * the set when it is full); lf becomes the most recently written. */
static int acquire_fd(struct logfile *lf)
{
	if (lf->fd >= 0) {
		if (lf->set->head != lf) {
			set_unlink(lf);
			set_push(lf);
		}
		return 0;
	}
	if (lf->set->n_open >= lf->set->max_open)
		release_fd(lf->set->tail);
	/* Re-read the size: the file may have been truncated or removed
	 * meanwhile (O_CREAT makes a new one). */
	int fd = open_append(lf->path, &lf->size);
	if (fd < 0)
		return fd;
	lf->fd = fd;
	lf->set->n_open++;
	set_push(lf);
	return 0;
}

int logfile_open(struct logfile *lf, struct logfile_set *set, const char *path, uint64_t max_size, int keep)
{
	memset(lf, 0, sizeof(*lf));
	lf->fd = -1;
	int fd = open_append(path, &lf->size);
	if (fd < 0)
		return fd;
	close(fd);
	lf->set = set;
	lf->path = xstrdup(path);
	lf->max_size = max_size;
	lf->keep = keep;
	return 0;
}

void logfile_close(struct logfile *lf)
{
	if (lf->fd >= 0)
		release_fd(lf);
	free(lf->path);
	lf->path = NULL;
}

/* name.log.(k-1) -> name.log.k down to name.log -> name.log.1, then a
 * fresh name.log. Readers that follow the file see it moved and reopen. */
static int rotate(struct logfile *lf)
{
	char from[4096], to[4096];
	if (lf->keep <= 0) {
		if (ftruncate(lf->fd, 0) < 0)
			return -errno;
		lf->size = 0;
		lf->mid_line = false;
		return 0;
	}
	for (int k = lf->keep; k > 1; k--) {
		snprintf(from, sizeof(from), "%s.%d", lf->path, k - 1);
		snprintf(to, sizeof(to), "%s.%d", lf->path, k);
		if (rename(from, to) < 0 && errno != ENOENT)
			return -errno;
	}
	snprintf(to, sizeof(to), "%s.1", lf->path);
	if (rename(lf->path, to) < 0 && errno != ENOENT)
		return -errno;
	int fd = open_append(lf->path, &lf->size);
	if (fd < 0)
		return fd;
	close(lf->fd);
	lf->fd = fd;
	lf->mid_line = false; /* a cut line stays in the rotated file */
	return 0;
}

/* How much of data to write into the current file: all of it when it fits;
 * else up to the last line end that fits (0: rotate first); a single line
 * longer than a whole file is cut. */
static size_t fitting_part(const struct logfile *lf, const char *data, size_t len)
{
	if (!lf->max_size || lf->size + len <= lf->max_size)
		return len;
	size_t room = lf->size < lf->max_size ? (size_t)(lf->max_size - lf->size) : 0;
	const char *nl = room ? memrchr(data, '\n', room) : NULL;
	if (nl)
		return (size_t)(nl - data) + 1;
	return lf->size == 0 ? (room ? room : len) : 0;
}

int logfile_append(struct logfile *lf, const void *data, size_t len)
{
	const char *p = data;
	int r = lf->path ? acquire_fd(lf) : -EBADF;
	while (r == 0 && len > 0) {
		size_t k = fitting_part(lf, p, len);
		if (k == 0) {
			r = rotate(lf);
			continue;
		}
		if (lf->mid_line) {
			/* A full disk cut the last line short: end it, so the next
			 * line starts on its own. */
			size_t w;
			if ((r = fd_write_all_count(lf->fd, "\n", 1, &w)) < 0)
				break;
			lf->size += 1;
			lf->mid_line = false;
		}
		size_t written = 0;
		r = fd_write_all_count(lf->fd, p, k, &written);
		lf->size += written;
		p += written;
		len -= written;
		if (r < 0) {
			if (written > 0)
				lf->mid_line = p[-1] != '\n';
			break;
		}
		if (len > 0)
			r = rotate(lf);
	}
	if (r < 0) {
		/* Dropped, not retried: a full disk must not stall the container
		 * (its pipe would fill) or the loop. */
		lf->dropping = true;
		lf->dropped += len;
		return r;
	}
	lf->dropping = false;
	return 0;
}
