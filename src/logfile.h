/* logfile.h - a container's log file with size rotation: <name>.log, and
 * on reaching max_size it becomes <name>.log.1 (older ones shift up to
 * <name>.log.<keep>, the oldest is dropped). Plain file I/O, no libuv; the
 * caller (logpipe) formats lines. Returns -errno, never logs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct logfile {
	char *path;          /* <log_dir>/<name>.log */
	int fd;              /* O_APPEND, -1 when closed */
	uint64_t size;       /* bytes in the current file */
	uint64_t max_size;   /* rotate before a write would pass it; 0 = never */
	int keep;            /* rotated files kept */
	bool dropping;       /* the last append failed: output is being dropped */
	bool mid_line;       /* a failed write left a cut line: end it before the next one */
	uint64_t dropped;    /* bytes dropped since dropping began */
};

/* Open (create) path for appending. 0 or -errno. */
int logfile_open(struct logfile *lf, const char *path, uint64_t max_size, int keep);
void logfile_close(struct logfile *lf);

/* Append len bytes, rotating first when the file would pass max_size.
 * 0, or -errno when the bytes could not be written (they are dropped and
 * counted in lf->dropped; a later success clears lf->dropping). */
int logfile_append(struct logfile *lf, const void *data, size_t len);
