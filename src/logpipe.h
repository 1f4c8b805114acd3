/* logpipe.h - one container output pipe (stdout or stderr) read on the
 * loop and appended to the container's log file.
 *
 * Self-owned: created per run with logpipe_open(), it frees itself after
 * the pipe reaches EOF (every process holding the write end is gone) or
 * after logpipe_close(). Never blocks the loop on the pipe; the log file
 * write is a plain append. Decides nothing. */
#pragma once

#include <stdint.h>
#include <uv.h>

struct logpipe;

/* One read buffer serves every pipe of a loop: libuv hands the data to
 * on_read before the next read, so thousands of idle containers cost no
 * buffer memory. Owned by the daemon, outlives every logpipe. */
struct logpipe_buffer {
	char data[65536];
};

/* Take ownership of read_fd and start reading into log_fd (not owned; it
 * must stay open while the loop runs: the supervisor keeps it). 0 or -errno;
 * on failure read_fd is closed. */
int logpipe_open(uv_loop_t *loop, struct logpipe_buffer *buf, int read_fd, int log_fd, struct logpipe **ret);

/* Stop reading and free after the close callback. NULL is fine. */
void logpipe_close(struct logpipe *lp);
