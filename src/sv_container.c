/* sv_container.c - a supervised container's lifetime: made from its
 * config, given a new config on reload, freed once settled. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "logpipe.h"
#include "macro.h"
#include "restart.h"
#include "spawn.h"
#include "supervisor.h"
#include "supervisor-internal.h"

int sv_container_new(struct supd *d, const struct container_config *cfg, struct container **ret, struct sup_err *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.log", d->config->supd.log_dir, cfg->name);
	struct container *c = xcalloc(1, sizeof(*c));
	int r = logfile_open(&c->log, &d->logfiles, path, d->config->supd.log_max_size, (int)d->config->supd.log_keep);
	if (r < 0) {
		free(c);
		return sup_err_set(err, r, "container '%s': log file %s: %s", cfg->name, path, strerror(-r));
	}
	c->d = d;
	c->cfg = cfg;
	c->link.name = cfg->name;
	c->envp = spawn_build_env(cfg);
	c->state = SV_STOPPED;
	c->state_since_ms = daemon_now_ms();
	restart_tracker_init(&c->restart, cfg->start_limit_burst);
	uv_timer_init(&d->loop, &c->timer);
	c->timer.data = c;
	ctable_add(&d->table, &c->link);
	*ret = c;
	return 0;
}

void sv_container_set_config(struct container *c, const struct container_config *cfg)
{
	assert(!strcmp(c->cfg->name, cfg->name));
	bool new_burst = c->cfg->start_limit_burst != cfg->start_limit_burst;
	c->cfg = cfg;
	c->link.name = cfg->name; /* same text, new owner */
	free(c->envp);
	c->envp = spawn_build_env(cfg);
	if (new_burst && !c->run) {
		restart_tracker_done(&c->restart);
		restart_tracker_init(&c->restart, cfg->start_limit_burst);
	}
}

static void on_container_timer_closed(uv_handle_t *h)
{
	struct container *c = h->data;
	restart_tracker_done(&c->restart);
	free(c->envp);
	free(c);
}

void sv_container_free(struct container *c)
{
	if (!c)
		return;
	assert(!c->run && !c->waiters);
	sv_discard_spare(c);
	ctable_remove(&c->d->table, &c->link);
	logpipe_close_all(&c->pipes);
	logfile_close(&c->log);
	uv_close((uv_handle_t *)&c->timer, on_container_timer_closed);
}
