/* sv_waiters.c - control clients waiting for a container to get somewhere
 * (supctl start/stop/restart): each request waits on the container until
 * the state machine settles, then gets its one-line answer. */
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "daemon.h"
#include "macro.h"
#include "restart.h"
#include "store.h"
#include "supervisor.h"
#include "supervisor-internal.h"

static void reply_waiter(struct container *c, struct sv_waiter *w)
{
	/* The client will read the database next: commit this turn's batch. */
	daemon_flush(c->d);
	if (w->kind == SV_WAIT_START && c->state == SV_RUNNING)
		ctl_reply(w->client, true, "%s running pid %d", c->cfg->name, (int)sv_pid(c));
	else if (w->kind == SV_WAIT_START) {
		char last[512] = "";
		struct store_container row;
		/* While the database is behind, its last_reason is an older run's. */
		if (!dbsync_is_failing(&c->d->db) && store_get_container(c->d->store, c->cfg->name, &row) == 0)
			snprintf(last, sizeof(last), ": %s", row.last_reason);
		ctl_reply(w->client, false, "container '%s' did not start (%s%s)", c->cfg->name, sv_state_to_string(c->state), last);
	} else
		ctl_reply(w->client, true, "%s %s", c->cfg->name, sv_state_to_string(c->state));
}

static bool waiter_is_done(const struct container *c, const struct sv_waiter *w)
{
	if (w->kind == SV_WAIT_START)
		return c->state != SV_STARTING && c->state != SV_BACKOFF;
	return sv_state_is_settled(c->state);
}

void sv_notify_waiters(struct container *c)
{
	struct sv_waiter **pp = &c->waiters, *restart_now = NULL;
	while (*pp) {
		struct sv_waiter *w = *pp;
		if (!waiter_is_done(c, w)) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		if (w->kind == SV_WAIT_RESTART) {
			/* The stop half is done: now wait for the start half. */
			w->kind = SV_WAIT_START;
			w->next = restart_now;
			restart_now = w;
			continue;
		}
		ctl_client_set_data(w->client, NULL);
		reply_waiter(c, w);
		free(w);
	}
	if (restart_now) {
		struct sv_waiter *last = restart_now;
		while (last->next)
			last = last->next;
		last->next = c->waiters;
		c->waiters = restart_now;
		sv_handle_event(c, SV_EV_START);
	}
}

void sv_request(struct container *c, struct ctl_client *cl, enum sv_wait kind)
{
	if (c->d->shutting_down) {
		ctl_reply(cl, false, "supd is shutting down");
		return;
	}
	if (kind == SV_WAIT_START && c->state == SV_STOPPING) {
		ctl_reply(cl, false, "container '%s' is stopping; wait for it, then start it", c->cfg->name);
		return;
	}
	/* An operator's start forgives the history the start limit counts. */
	if (kind != SV_WAIT_STOP)
		restart_tracker_reset(&c->restart);
	struct sv_waiter *w = xcalloc(1, sizeof(*w));
	w->client = cl;
	w->kind = kind;
	w->next = c->waiters;
	c->waiters = w;
	ctl_client_set_data(cl, c);
	sv_handle_event(c, kind == SV_WAIT_START ? SV_EV_START : SV_EV_STOP);
	/* Already where the request wants it (start of a running container,
	 * stop of a stopped one): answer now. */
	sv_notify_waiters(c);
}

void sv_forget_client(struct container *c, struct ctl_client *cl)
{
	for (struct sv_waiter **pp = &c->waiters; *pp; pp = &(*pp)->next)
		if ((*pp)->client == cl) {
			struct sv_waiter *w = *pp;
			*pp = w->next;
			free(w);
			return;
		}
}
