/* logpipe.c - see logpipe.h. */
#include <errno.h>
#include <stdlib.h>

#include "fd.h"
#include "logpipe.h"
#include "macro.h"

struct logpipe {
	uv_pipe_t pipe; /* first member: the handle pointer is the logpipe */
	int log_fd;
	struct logpipe_buffer *buf;
	uint64_t dropped_bytes; /* output lost to a failing log write (disk full) */
};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct logpipe *lp = (struct logpipe *)h;
	*buf = uv_buf_init(lp->buf->data, sizeof(lp->buf->data));
}

static void on_closed(uv_handle_t *h)
{
	free(h);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct logpipe *lp = (struct logpipe *)s;
	if (n > 0) {
		/* A failing write (disk full) drops output rather than stalling the
		 * container or the loop. */
		if (fd_write_all(lp->log_fd, buf->base, (size_t)n) < 0)
			lp->dropped_bytes += (uint64_t)n;
		return;
	}
	if (n < 0) /* UV_EOF or a read error: this pipe is done either way */
		logpipe_close(lp);
}

int logpipe_open(uv_loop_t *loop, struct logpipe_buffer *buf, int read_fd, int log_fd, struct logpipe **ret)
{
	struct logpipe *lp = xcalloc(1, sizeof(*lp));
	int r = uv_pipe_init(loop, &lp->pipe, 0);
	if (r < 0) {
		free(lp);
		close(read_fd);
		return r;
	}
	lp->log_fd = log_fd;
	lp->buf = buf;
	r = uv_pipe_open(&lp->pipe, read_fd);
	if (r < 0)
		close(read_fd); /* not yet owned by the handle */
	else
		r = uv_read_start((uv_stream_t *)&lp->pipe, on_alloc, on_read);
	if (r < 0) {
		uv_close((uv_handle_t *)&lp->pipe, on_closed);
		return r;
	}
	if (ret)
		*ret = lp;
	return 0;
}

void logpipe_close(struct logpipe *lp)
{
	if (lp && !uv_is_closing((uv_handle_t *)&lp->pipe))
		uv_close((uv_handle_t *)&lp->pipe, on_closed);
}
