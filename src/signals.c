/* signals.c - see signals.h. */
#include <signal.h>
#include <stdlib.h>

#include "macro.h"
#include "signals.h"

static const int watched[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR2 };

struct signals {
	uv_signal_t h[ELEMENTSOF(watched)];
	signals_cb cb;
	void *data;
	int open_handles;
};

static void on_signal(uv_signal_t *h, int signum)
{
	struct signals *s = h->data;
	s->cb(s->data, signum);
}

static void on_closed(uv_handle_t *h)
{
	struct signals *s = h->data;
	if (--s->open_handles == 0)
		free(s);
}

int signals_start(uv_loop_t *loop, signals_cb cb, void *data, struct signals **ret)
{
	struct signals *s = xcalloc(1, sizeof(*s));
	s->cb = cb;
	s->data = data;
	signal(SIGPIPE, SIG_IGN);
	int r = 0;
	for (size_t i = 0; i < ELEMENTSOF(watched); i++) {
		uv_signal_init(loop, &s->h[i]);
		s->h[i].data = s;
		s->open_handles++;
		if (r == 0)
			r = uv_signal_start(&s->h[i], on_signal, watched[i]);
	}
	if (r < 0) {
		signals_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

void signals_close(struct signals *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < ELEMENTSOF(watched); i++)
		uv_close((uv_handle_t *)&s->h[i], on_closed);
}
