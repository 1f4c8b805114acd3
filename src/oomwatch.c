/* oomwatch.c - see oomwatch.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "macro.h"
#include "oomwatch.h"

struct oomwatch {
	union {
		uv_handle_t handle;
		uv_fs_event_t fs; /* v2: memory.events */
		uv_poll_t poll;   /* v1: eventfd */
	} h;
	int fd; /* eventfd, or -1 */
	oomwatch_cb cb;
	void *data;
};

static void on_fs_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
	(void)filename;
	(void)events;
	struct oomwatch *w = h->data;
	if (status == 0)
		w->cb(w->data);
}

static void on_eventfd(uv_poll_t *h, int status, int events)
{
	(void)events;
	struct oomwatch *w = h->data;
	uint64_t n;
	/* Drain the counter so the fd stops being readable until the next event. */
	ssize_t _unused_ k = read(w->fd, &n, sizeof(n));
	if (status == 0)
		w->cb(w->data);
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

int oomwatch_start(uv_loop_t *loop, const struct cgroup_oom_source *src, oomwatch_cb cb, void *data, struct oomwatch **ret)
{
	struct oomwatch *w = xcalloc(1, sizeof(*w));
	w->cb = cb;
	w->data = data;
	w->fd = src->fd;
	int r;
	if (src->fd >= 0) {
		r = uv_poll_init(loop, &w->h.poll, src->fd);
		if (r < 0) {
			free(w);
			return r;
		}
		w->h.poll.data = w;
		r = uv_poll_start(&w->h.poll, UV_READABLE, on_eventfd);
	} else {
		uv_fs_event_init(loop, &w->h.fs);
		w->h.fs.data = w;
		r = uv_fs_event_start(&w->h.fs, on_fs_event, src->path, 0);
	}
	if (r < 0) {
		uv_close(&w->h.handle, on_closed);
		return r;
	}
	*ret = w;
	return 0;
}

void oomwatch_close(struct oomwatch *w)
{
	if (w && !uv_is_closing(&w->h.handle))
		uv_close(&w->h.handle, on_closed);
}
