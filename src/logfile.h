/* logfile.h - a container's log file with size rotation: <name>.log, and
 * on reaching max_size it becomes <name>.log.1 (older ones shift up to
 * <name>.log.<keep>, the oldest is dropped). Plain file I/O, no libuv; the
 * caller (logpipe) formats lines. Returns -errno, never logs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* The log files of all containers share a bound on open fds: a file is
 * opened at its first write and stays open until max_open other files have
 * been written more recently. Idle containers then hold no log fd, and
 * thousands of containers fit RLIMIT_NOFILE whatever they print. */
struct logfile_set {
	struct logfile *head, *tail; /* open files, most recently written first */
	int n_open;
	int max_open;
};

struct logfile {
	char *path;          /* <log_dir>/<name>.log */
	int fd;              /* O_APPEND, -1 when closed (not written lately) */
	struct logfile_set *set;
	struct logfile *newer, *older; /* place in set's list while open */
	uint64_t size;       /* bytes in the current file */
	uint64_t max_size;   /* rotate before a write would pass it; 0 = never */
	int keep;            /* rotated files kept */
	bool dropping;       /* the last append failed: output is being dropped */
	bool mid_line;       /* a failed write left a cut line: end it before the next one */
	uint64_t dropped;    /* bytes dropped since dropping began */
};

/* Bound the open files of a set; max_open >= 1. */
void logfile_set_init(struct logfile_set *set, int max_open);

/* Create path if missing (so a bad log_dir is an error now, not at the
 * first write) and note its size; the fd is opened at the first append.
 * 0 or -errno. */
int logfile_open(struct logfile *lf, struct logfile_set *set, const char *path, uint64_t max_size, int keep);
void logfile_close(struct logfile *lf);

/* Append len bytes, rotating first when the file would pass max_size.
 * 0, or -errno when the bytes could not be written (they are dropped and
 * counted in lf->dropped; a later success clears lf->dropping). */
int logfile_append(struct logfile *lf, const void *data, size_t len);
