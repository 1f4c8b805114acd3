/* logpipe.h - one container output pipe (stdout or stderr) read on the
 * loop into the container's log file, each line prefixed with the UTC time
 * it was read and its stream:
 *
 *     2026-12-04T17:13:23.123Z stdout hello
 *
 * A logpipe belongs to its container's logpipe_owner while it lives (runs
 * overlap: an old run's pipe may still drain while the next run starts).
 * It frees itself after EOF (every writer gone) or logpipe_close_all().
 * Never blocks the loop on the pipe; decides nothing: a failing log write
 * is reported to the sink's on_drop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "logfile.h"

struct logpipe;

/* Shared by every pipe of a loop: libuv hands the data to on_read before
 * the next read, so thousands of idle containers cost no buffer memory. */
struct logpipe_buffer {
	char in[65536];
	char out[65536 + 4096];
};

struct logpipe_sink {
	struct logfile *file;
	/* Output began to be dropped (error < 0), or is written again
	 * (error == 0, dropped = bytes lost meanwhile). */
	void (*on_drop)(void *data, int error, uint64_t dropped);
	void *data;
};

/* The pipes of one container. */
struct logpipe_owner {
	struct logpipe *head;
};

/* Take ownership of read_fd and start reading it as stream ("stdout",
 * "stderr"). sink is copied; sink->file must outlive the owner's pipes.
 * 0 or -errno; on failure read_fd is closed. */
int logpipe_open(uv_loop_t *loop, struct logpipe_buffer *buf, int read_fd, const char *stream,
		 struct logpipe_owner *owner, const struct logpipe_sink *sink);

/* Stop every pipe of owner (their remaining output is lost) and free them
 * after their close callbacks. */
void logpipe_close_all(struct logpipe_owner *owner);
/* The fd of the most recently opened pipe of stream that is still read
 * (the current run's), or -1. Still the logpipe's: not to be closed. */
int logpipe_newest_fd(const struct logpipe_owner *owner, const char *stream);

/* The same, but a line held in part is written first (as a line of its
 * own): for handing the pipes to another reader, whose first read then
 * continues it. Unread data stays in the pipes. */
void logpipe_flush_close_all(struct logpipe_owner *owner);
