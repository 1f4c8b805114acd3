/* reload.c - daemon_reload() and what it leaves pending (see reload.h).
 *
 * Nothing is touched until the new config has loaded and validated in
 * full. Then: an unchanged container only moves to the new config object
 * (its process, pid and state stay); a changed one that runs is stopped
 * and started again with the new config once settled, one that does not
 * run just takes the new config; an added one is created (and started if
 * autostart); a removed one is stopped and freed once settled, its row
 * marked removed (history kept). The old config object stays alive while a
 * stopping container still uses it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "reload.h"
#include "store.h"
#include "supervisor.h"

static void append_name(char *buf, size_t size, const char *name)
{
	size_t len = strlen(buf);
	if (len + strlen(name) + 2 < size)
		snprintf(buf + len, size - len, "%s%s", len ? "," : "", name);
}

/* No container refers to an old config any more: free them all. */
static void reload_release_old_configs(struct supd *d)
{
	for (int i = 0; i < d->n_containers; i++)
		if (d->containers[i]->reload_cfg)
			return;
	if (d->n_leaving)
		return;
	/* Running containers were all moved to the current config object. */
	for (int i = 0; i < d->n_old_configs; i++)
		config_free(d->old_configs[i]);
	d->n_old_configs = 0;
}

void reload_container_settled(struct supd *d, struct container *c)
{
	if (c->reload_remove) {
		for (int i = 0; i < d->n_leaving; i++)
			if (d->leaving[i] == c) {
				d->leaving[i] = d->leaving[--d->n_leaving];
				break;
			}
		log_info("container '%s': removed from the configuration, stopped", c->cfg->name);
		sv_container_free(c);
	} else if (c->reload_cfg) {
		const struct container_config *cfg = c->reload_cfg;
		c->reload_cfg = NULL;
		sv_container_set_config(c, cfg);
		log_info("container '%s': starting with its changed configuration", cfg->name);
		sv_handle_event(c, SV_EV_START);
	} else
		return;
	reload_release_old_configs(d);
}

/* A changed control_group applies at once: the socket's group and mode
 * follow. A failure is only logged (the containers' part of the reload is
 * done): the socket is then narrower than configured, never wider. */
static void apply_control_group(struct supd *d, const struct supd_settings *old, const struct supd_settings *next)
{
	if (old->control_gid == next->control_gid && !old->control_group == !next->control_group)
		return;
	struct sup_err err = { 0 };
	gid_t group = next->control_group ? (gid_t)next->control_gid : CTL_NO_GROUP;
	if (ctl_set_group(d->ctl, group, next->control_group, &err) < 0)
		log_warning("reload: control_group: %s, ignoring", err.msg);
}

int daemon_reload(struct supd *d, char *summary, size_t size, struct sup_err *err)
{
	/* The container list changes below: autostart must be done first. */
	daemon_autostart_finish(d);
	struct sup_config *next = NULL;
	int r = config_load(d->config->path, &next, err);
	if (r < 0) {
		store_event(d->store, daemon_now_ms(), NULL, "config-error", err->msg);
		return r;
	}
	char added[512] = "", removed[512] = "", restarted[512] = "", updated[512] = "";
	int unchanged = 0;

	/* Everything that can fail comes first: the new containers' log files. */
	struct container **now = xcalloc((size_t)next->n_containers + 1, sizeof(*now));
	struct container **fresh = xcalloc((size_t)next->n_containers + 1, sizeof(*fresh));
	bool *is_fresh = xcalloc((size_t)next->n_containers + 1, sizeof(*is_fresh));
	int n_fresh = 0;
	for (int i = 0; i < next->n_containers; i++) {
		const struct container_config *cfg = &next->containers[i];
		now[i] = daemon_find(d, cfg->name);
		if (now[i] && now[i]->reload_remove)
			now[i] = NULL; /* leaving already: a new one takes the name later */
		if (now[i])
			continue;
		/* A name still held by a container on its way out cannot come back
		 * until that one has stopped. */
		if (daemon_find(d, cfg->name)) {
			r = sup_err_set(err, -EBUSY, "container '%s' is still stopping after an earlier reload; try again", cfg->name);
			goto fail;
		}
		if ((r = sv_container_new(d, cfg, &fresh[n_fresh], err)) < 0)
			goto fail;
		now[i] = fresh[n_fresh++];
		is_fresh[i] = true;
	}

	/* Removed: stop, free once settled. */
	for (int i = 0; i < d->n_containers; i++) {
		struct container *c = d->containers[i];
		if (config_find(next, c->cfg->name))
			continue;
		append_name(removed, sizeof(removed), c->cfg->name);
		c->reload_remove = true;
		c->reload_cfg = NULL;
		d->leaving = xrealloc(d->leaving, sizeof(*d->leaving) * (size_t)(d->n_leaving + 1));
		d->leaving[d->n_leaving++] = c;
		sv_handle_event(c, SV_EV_STOP);
	}
	/* Changed and unchanged. */
	for (int i = 0; i < next->n_containers; i++) {
		struct container *c = now[i];
		const struct container_config *cfg = &next->containers[i];
		if (is_fresh[i]) {
			append_name(added, sizeof(added), cfg->name);
			continue;
		}
		if (container_config_equal(c->cfg, cfg)) {
			unchanged++;
			if (!c->reload_cfg)
				sv_container_set_config(c, cfg);
			else
				c->reload_cfg = cfg; /* still restarting from an earlier reload */
			continue;
		}
		if (sv_state_is_settled(c->state) && !c->reload_cfg) {
			/* Not running: the new config is used from its next start. */
			sv_container_set_config(c, cfg);
			append_name(updated, sizeof(updated), cfg->name);
			continue;
		}
		append_name(restarted, sizeof(restarted), cfg->name);
		c->reload_cfg = cfg;
		sv_handle_event(c, SV_EV_STOP);
	}

	/* Commit: the new container list and config. */
	const char **names = xcalloc((size_t)next->n_containers + 1, sizeof(*names));
	for (int i = 0; i < next->n_containers; i++)
		names[i] = next->containers[i].name;
	r = store_sync_containers(d->store, names, next->n_containers, daemon_now_ms());
	free(names);
	if (r < 0)
		log_warning("reload: recording the container list: %s, ignoring", strerror(-r));
	free(d->containers);
	d->containers = now;
	d->n_containers = next->n_containers;
	apply_control_group(d, &d->config->supd, &next->supd);
	d->old_configs = xrealloc(d->old_configs, sizeof(*d->old_configs) * (size_t)(d->n_old_configs + 1));
	d->old_configs[d->n_old_configs++] = d->config;
	d->config = next;

	snprintf(summary, size, "reloaded %s: added [%s] removed [%s] restarted [%s] updated (not running) [%s] unchanged %d",
		 next->path, added, removed, restarted, updated, unchanged);
	log_info("%s", summary);
	store_event(d->store, daemon_now_ms(), NULL, "config-reloaded", summary);
	metrics_changed(d);
	for (int k = 0; k < n_fresh; k++)
		if (fresh[k]->cfg->autostart)
			sv_handle_event(fresh[k], SV_EV_START);
	free(fresh);
	free(is_fresh);
	/* Settled ones with a pending restart (stop was a no-op) go now. */
	for (int i = 0; i < d->n_containers; i++)
		if (d->containers[i]->reload_cfg && sv_state_is_settled(d->containers[i]->state))
			reload_container_settled(d, d->containers[i]);
	for (int i = 0; i < d->n_leaving; i++)
		if (sv_state_is_settled(d->leaving[i]->state)) {
			reload_container_settled(d, d->leaving[i]);
			i--;
		}
	reload_release_old_configs(d);
	return 0;
fail:
	for (int k = 0; k < n_fresh; k++)
		sv_container_free(fresh[k]);
	free(fresh);
	free(is_fresh);
	free(now);
	config_free(next);
	return r;
}
