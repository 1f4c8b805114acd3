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
	char *partial;      /* a line read in part, held until its end comes, so */
	size_t partial_len; /* lines of stdout and stderr never interleave */
};

/* A line longer than this is written in pieces (each its own line). */
#define LOGPIPE_MAX_LINE 16384

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
	struct logpipe *lp = (struct logpipe *)h;
	free(lp->partial);
	free(lp);
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

struct out {
	struct logpipe *lp;
	char prefix[64];
	size_t plen, used;
};

static void out_put(struct out *o, const char *data, size_t n)
{
	struct logpipe_buffer *b = o->lp->buf;
	while (n > 0) {
		size_t k = n < sizeof(b->out) - o->used ? n : sizeof(b->out) - o->used;
		memcpy(b->out + o->used, data, k);
		o->used += k;
		data += k;
		n -= k;
		if (o->used == sizeof(b->out)) {
			emit(o->lp, b->out, o->used);
			o->used = 0;
		}
	}
}

/* One whole line: prefix, the held part, then text (which ends in '\n'
 * unless it is the cut end of an overlong line or the last one at EOF). */
static void out_line(struct out *o, const char *text, size_t n)
{
	out_put(o, o->prefix, o->plen);
	if (o->lp->partial_len) {
		out_put(o, o->lp->partial, o->lp->partial_len);
		o->lp->partial_len = 0;
	}
	out_put(o, text, n);
	if (n == 0 || text[n - 1] != '\n')
		out_put(o, "\n", 1);
}

static void hold_partial(struct logpipe *lp, const char *data, size_t n)
{
	if (!lp->partial)
		lp->partial = xmalloc(LOGPIPE_MAX_LINE);
	memcpy(lp->partial + lp->partial_len, data, n);
	lp->partial_len += n;
}

/* Every complete line gets "TIME STREAM " in front; one timestamp per read
 * (what arrived together shares it). A trailing part without its newline
 * waits for the rest. */
static void format_and_emit(struct logpipe *lp, const char *data, size_t n, bool eof)
{
	struct out o = { .lp = lp };
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	o.plen = strftime(o.prefix, sizeof(o.prefix), "%Y-%m-%dT%H:%M:%S", &tm);
	o.plen += (size_t)snprintf(o.prefix + o.plen, sizeof(o.prefix) - o.plen, ".%03ldZ %s ", ts.tv_nsec / 1000000, lp->stream);

	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t k = nl ? (size_t)(nl - data) + 1 : n;
		if (!nl && lp->partial_len + k < LOGPIPE_MAX_LINE) {
			hold_partial(lp, data, k);
		} else {
			if (lp->partial_len + k > LOGPIPE_MAX_LINE) /* overlong: cut */
				k = LOGPIPE_MAX_LINE - lp->partial_len;
			out_line(&o, data, k);
		}
		data += k;
		n -= k;
	}
	if (eof && lp->partial_len)
		out_line(&o, "", 0);
	if (!lp->partial_len) {
		free(lp->partial);
		lp->partial = NULL;
	}
	emit(lp, lp->buf->out, o.used);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct logpipe *lp = (struct logpipe *)s;
	if (n > 0) {
		format_and_emit(lp, buf->base, (size_t)n, false);
		return;
	}
	if (n < 0) { /* UV_EOF or a read error: this pipe is done either way */
		format_and_emit(lp, "", 0, true); /* a last line that had no newline */
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

int logpipe_newest_fd(const struct logpipe_owner *owner, const char *stream)
{
	for (const struct logpipe *lp = owner->head; lp; lp = lp->next) {
		uv_os_fd_t fd;
		if (!strcmp(lp->stream, stream) && !uv_is_closing((const uv_handle_t *)&lp->pipe) &&
		    uv_fileno((const uv_handle_t *)&lp->pipe, &fd) == 0)
			return fd;
	}
	return -1;
}

void logpipe_flush_close_all(struct logpipe_owner *owner)
{
	for (struct logpipe *lp = owner->head; lp; lp = lp->next)
		if (lp->partial_len)
			format_and_emit(lp, "", 0, true);
	logpipe_close_all(owner);
}
