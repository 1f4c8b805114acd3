/* daemon_keeper.c - supd's use of the fd keeper (see keeper.h): attach at
 * start-up, hand each run over and let go of it once its end is committed,
 * and replace a keeper that went away. Logs; the protocol is keeper_*.c. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "keeper.h"
#include "log.h"
#include "macro.h"
#include "store.h"
#include "supervisor.h"

static void on_keeper_gone(uv_poll_t *h, int status, int events);

static void keeper_watch(struct supd *d)
{
	if (!keeper_is_connected(d->keeper))
		return;
	/* Its own allocation: a replacement's watch starts before the old
	 * handle's close has completed. */
	uv_poll_t *p = xcalloc(1, sizeof(*p));
	if (uv_poll_init(&d->loop, p, keeper_fd(d->keeper)) < 0) {
		free(p);
		return;
	}
	p->data = d;
	d->keeper_poll = p;
	/* The keeper never speaks first: the socket becomes readable only
	 * when it closes. */
	uv_poll_start(p, UV_READABLE | UV_DISCONNECT, on_keeper_gone);
}

static void on_keeper_poll_closed(uv_handle_t *h)
{
	free(h);
}

static void keeper_unwatch(struct supd *d)
{
	if (d->keeper_poll && !uv_is_closing((uv_handle_t *)d->keeper_poll))
		uv_close((uv_handle_t *)d->keeper_poll, on_keeper_poll_closed);
	d->keeper_poll = NULL;
}

static int keeper_connect(struct supd *d)
{
	char path[4096];
	pid_t pid;
	snprintf(path, sizeof(path), "%s/keeper.sock", d->config->supd.run_dir);
	int r = keeper_attach(path, &d->keeper, &d->held, &d->n_held, &pid);
	/* A keeper killed a moment ago can still accept on its socket while
	 * the kernel closes its fds, then reset the connection: try again (a
	 * few ms), and the dead socket refuses, so a new keeper is started. */
	for (int tries = 0; (r == -ECONNRESET || r == -EPIPE) && tries < 20; tries++) {
		usleep(10 * 1000);
		r = keeper_attach(path, &d->keeper, &d->held, &d->n_held, &pid);
	}
	if (r < 0) {
		log_warning("fd keeper %s: %s; running without one (a crash of supd would lose containers' output pipes)",
			    path, strerror(-r));
		return r;
	}
	if (pid > 0) {
		d->keeper_child = pid;
		log_debug("started fd keeper, pid %d", (int)pid);
	} else
		log_info("fd keeper %s handed back %d run(s)", path, d->n_held);
	return 0;
}

void daemon_attach_keeper(struct supd *d)
{
	if (keeper_connect(d) == 0 && d->loop_open)
		keeper_watch(d);
}

void daemon_detach_keeper(struct supd *d, bool quit)
{
	keeper_unwatch(d);
	if (quit && keeper_is_connected(d->keeper))
		(void)keeper_quit(d->keeper);
	d->keeper = keeper_detach(d->keeper);
}

/* The keeper died (or was killed): start another and give it every
 * running container's pidfd and pipes again, so that a crash of supd still
 * loses nothing. */
static void on_keeper_gone(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	struct supd *d = h->data;
	log_warning("fd keeper went away; starting a new one");
	daemon_detach_keeper(d, false);
	if (d->keeper_child > 0) {
		(void)waitpid(d->keeper_child, NULL, WNOHANG); /* ours: no zombie */
		d->keeper_child = 0;
	}
	d->n_keeper_drops = 0; /* the new keeper holds none of those runs */
	if (d->shutting_down || keeper_connect(d) < 0)
		return;
	keeper_held_free(d->held, d->n_held); /* a fresh keeper holds nothing */
	d->held = NULL;
	d->n_held = 0;
	keeper_watch(d);
	for (int i = 0; i < d->n_containers; i++)
		sv_keeper_rehold(d->containers[i]);
	for (int i = 0; i < d->n_leaving; i++)
		sv_keeper_rehold(d->leaving[i]);
}

void daemon_keeper_drop(struct supd *d, pid_t pid, uint64_t starttime)
{
	if (!keeper_is_connected(d->keeper))
		return;
	if (d->n_keeper_drops == d->cap_keeper_drops) {
		d->cap_keeper_drops = d->cap_keeper_drops ? d->cap_keeper_drops * 2 : 16;
		d->keeper_drops = xrealloc(d->keeper_drops, sizeof(*d->keeper_drops) * (size_t)d->cap_keeper_drops);
	}
	/* Let go once every write queued so far (the run's end among them) is
	 * committed: until then a crash would still need the pidfd to learn
	 * the exit. */
	struct store_backlog bl;
	store_get_backlog(d->store, &bl);
	d->keeper_drops[d->n_keeper_drops++] = (struct keeper_drop){ pid, starttime, bl.committed + bl.pending };
}

void daemon_keeper_send_drops(struct supd *d)
{
	if (d->n_keeper_drops == 0)
		return;
	struct store_backlog bl;
	store_get_backlog(d->store, &bl);
	int sent = 0;
	/* Nothing pending: every write was committed or rejected for good. */
	while (sent < d->n_keeper_drops && (bl.pending == 0 || d->keeper_drops[sent].after_commit <= bl.committed)) {
		(void)keeper_drop(d->keeper, d->keeper_drops[sent].pid, d->keeper_drops[sent].starttime);
		sent++;
	}
	if (sent > 0) {
		d->n_keeper_drops -= sent;
		memmove(d->keeper_drops, d->keeper_drops + sent, sizeof(*d->keeper_drops) * (size_t)d->n_keeper_drops);
	}
}
