/* logpipe.c - see logpipe.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logpipe.h"
#include "macro.h"

struct logpipe {
	uv_pipe_t pipe; /* first member: the handle pointer is the logpipe */
	struct logpipe_buffer *buf;
	struct logpipe_owner *owner; /* NULL once detached */
	struct logpipe *next, *prev;
	struct logpipe_sink sink;
	const char *stream;
	bool at_line_start; /* the next byte read starts a line: prefix it */
};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct logpipe *lp = (struct logpipe *)h;
	*buf = uv_buf_init(lp->buf->in, sizeof(lp->buf->in));
}

static void detach(struct logpipe *lp)
{
	if (!lp->owner)
		return;
	if (lp->prev)
		lp->prev->next = lp->next;
	else
		lp->owner->head = lp->next;
	if (lp->next)
		lp->next->prev = lp->prev;
	lp->owner = NULL;
	lp->sink.file = NULL;
}

static void on_closed(uv_handle_t *h)
{
	free(h);
}

static void logpipe_close(struct logpipe *lp)
{
	detach(lp);
	if (!uv_is_closing((uv_handle_t *)&lp->pipe))
		uv_close((uv_handle_t *)&lp->pipe, on_closed);
}

static void emit(struct logpipe *lp, const char *out, size_t n)
{
	struct logfile *lf = lp->sink.file;
	if (!lf || n == 0)
		return;
	bool was_dropping = lf->dropping;
	uint64_t dropped = lf->dropped;
	int r = logfile_append(lf, out, n);
	if (r < 0 && !was_dropping && lp->sink.on_drop)
		lp->sink.on_drop(lp->sink.data, r, 0);
	else if (r == 0 && was_dropping) {
		lf->dropped = 0;
		if (lp->sink.on_drop)
			lp->sink.on_drop(lp->sink.data, 0, dropped);
	}
}

/* Copy data into the output buffer with the prefix in front of every line
 * start; one timestamp per read (what arrived together shares it). */
static void format_and_emit(struct logpipe *lp, const char *data, size_t n)
{
	char prefix[64];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t plen = strftime(prefix, sizeof(prefix), "%Y-%m-%dT%H:%M:%S", &tm);
	plen += (size_t)snprintf(prefix + plen, sizeof(prefix) - plen, ".%03ldZ %s ", ts.tv_nsec / 1000000, lp->stream);

	char *out = lp->buf->out;
	size_t used = 0, cap = sizeof(lp->buf->out);
	while (n > 0) {
		if (lp->at_line_start) {
			if (used + plen > cap) {
				emit(lp, out, used);
				used = 0;
			}
			memcpy(out + used, prefix, plen);
			used += plen;
			lp->at_line_start = false;
		}
		const char *nl = memchr(data, '\n', n);
		size_t k = nl ? (size_t)(nl - data) + 1 : n;
		if (k > cap - used)
			k = cap - used;
		memcpy(out + used, data, k);
		used += k;
		data += k;
		n -= k;
		if (k > 0 && data[-1] == '\n')
			lp->at_line_start = true;
		if (used == cap) {
			emit(lp, out, used);
			used = 0;
		}
	}
	emit(lp, out, used);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct logpipe *lp = (struct logpipe *)s;
	if (n > 0) {
		format_and_emit(lp, buf->base, (size_t)n);
		return;
	}
	if (n < 0) { /* UV_EOF or a read error: this pipe is done either way */
		if (!lp->at_line_start)
			emit(lp, "\n", 1); /* end a last line that had none */
		logpipe_close(lp);
	}
}

int logpipe_open(uv_loop_t *loop, struct logpipe_buffer *buf, int read_fd, const char *stream,
		 struct logpipe_owner *owner, const struct logpipe_sink *sink)
{
	struct logpipe *lp = xcalloc(1, sizeof(*lp));
	int r = uv_pipe_init(loop, &lp->pipe, 0);
	if (r < 0) {
		free(lp);
		close(read_fd);
		return r;
	}
	lp->buf = buf;
	lp->stream = stream;
	lp->sink = *sink;
	lp->at_line_start = true;
	lp->owner = owner;
	lp->next = owner->head;
	if (owner->head)
		owner->head->prev = lp;
	owner->head = lp;
	r = uv_pipe_open(&lp->pipe, read_fd);
	if (r < 0)
		close(read_fd); /* not yet owned by the handle */
	else
		r = uv_read_start((uv_stream_t *)&lp->pipe, on_alloc, on_read);
	if (r < 0) {
		logpipe_close(lp);
		return r;
	}
	return 0;
}

void logpipe_close_all(struct logpipe_owner *owner)
{
	while (owner->head)
		logpipe_close(owner->head);
}
