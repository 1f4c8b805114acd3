/* oomwatch.c - see oomwatch.h. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "oomwatch.h"

/* One poll handle per eventfd, however many groups share it (libuv
 * allows only one active poll handle per fd). */
struct oomwatch_fd {
	uv_poll_t poll;
	struct oomwatch_set *set;
	int fd;
	uint64_t *removals; /* see struct cgroup_oom_source */
	struct oomwatch *members;
	bool dispatching; /* members' callbacks are running */
};

struct oomwatch {
	uv_fs_event_t fs;          /* v2: memory.events; unused with shared */
	struct oomwatch_fd *shared; /* v1: the eventfd's poll, or NULL */
	struct oomwatch *prev, *next; /* among shared's members */
	oomwatch_cb cb;
	void *data;
};

void oomwatch_set_init(struct oomwatch_set *set, uv_loop_t *loop)
{
	memset(set, 0, sizeof(*set));
	set->loop = loop;
}

void oomwatch_set_done(struct oomwatch_set *set)
{
	free(set->by_fd);
	set->by_fd = NULL;
	set->n_by_fd = 0;
}

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
	struct oomwatch_fd *e = h->data;
	uint64_t n;
	/* Drain the counter so the fd stops being readable until the next event. */
	if (read(e->fd, &n, sizeof(n)) != (ssize_t)sizeof(n) || status < 0)
		return;
	/* Signals from the removal of a group are no news for the others (a
	 * restart would otherwise make every group sharing the fd re-read). */
	uint64_t quiet = e->removals ? (n < *e->removals ? n : *e->removals) : 0;
	if (e->removals)
		*e->removals -= quiet;
	if (n == quiet)
		return;
	/* Any of the groups on this eventfd: each re-reads its own counters. */
	e->dispatching = true;
	for (struct oomwatch *w = e->members; w; w = w->next)
		w->cb(w->data);
	e->dispatching = false;
}

static void on_fs_closed(uv_handle_t *h)
{
	free(h->data);
}

static void on_poll_closed(uv_handle_t *h)
{
	free(h->data);
}

/* The poll of fd, started on first use. */
static int shared_get(struct oomwatch_set *set, int fd, uint64_t *removals, struct oomwatch_fd **ret)
{
	if (fd >= set->n_by_fd) {
		int n = set->n_by_fd ? set->n_by_fd : 64;
		while (n <= fd)
			n *= 2;
		set->by_fd = xrealloc(set->by_fd, (size_t)n * sizeof(*set->by_fd));
		memset(set->by_fd + set->n_by_fd, 0, (size_t)(n - set->n_by_fd) * sizeof(*set->by_fd));
		set->n_by_fd = n;
	}
	struct oomwatch_fd *e = set->by_fd[fd];
	if (!e) {
		e = xcalloc(1, sizeof(*e));
		int r = uv_poll_init(set->loop, &e->poll, fd);
		if (r < 0) {
			free(e);
			return r;
		}
		e->poll.data = e;
		e->set = set;
		e->fd = fd;
		e->removals = removals;
		if ((r = uv_poll_start(&e->poll, UV_READABLE, on_eventfd)) < 0) {
			uv_close((uv_handle_t *)&e->poll, on_poll_closed);
			return r;
		}
		set->by_fd[fd] = e;
	}
	*ret = e;
	return 0;
}

int oomwatch_start(struct oomwatch_set *set, const struct cgroup_oom_source *src, oomwatch_cb cb, void *data,
		   struct oomwatch **ret)
{
	struct oomwatch *w = xcalloc(1, sizeof(*w));
	w->cb = cb;
	w->data = data;
	int r;
	if (src->fd >= 0) {
		struct oomwatch_fd *e;
		if ((r = shared_get(set, src->fd, src->removals, &e)) < 0) {
			free(w);
			return r;
		}
		assert(!e->dispatching);
		w->shared = e;
		w->next = e->members;
		if (e->members)
			e->members->prev = w;
		e->members = w;
	} else {
		uv_fs_event_init(set->loop, &w->fs);
		w->fs.data = w;
		if ((r = uv_fs_event_start(&w->fs, on_fs_event, src->path, 0)) < 0) {
			uv_close((uv_handle_t *)&w->fs, on_fs_closed);
			return r;
		}
	}
	*ret = w;
	return 0;
}

void oomwatch_close(struct oomwatch *w)
{
	if (!w)
		return;
	struct oomwatch_fd *e = w->shared;
	if (!e) {
		if (!uv_is_closing((uv_handle_t *)&w->fs))
			uv_close((uv_handle_t *)&w->fs, on_fs_closed);
		return;
	}
	assert(!e->dispatching); /* callbacks never end a watch (the supervisor ends runs later) */
	if (w->prev)
		w->prev->next = w->next;
	else
		e->members = w->next;
	if (w->next)
		w->next->prev = w->prev;
	free(w);
	if (!e->members) {
		/* Stop polling now: the cgroup layer may close the fd next. */
		e->set->by_fd[e->fd] = NULL;
		uv_close((uv_handle_t *)&e->poll, on_poll_closed);
	}
}
