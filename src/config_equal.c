/* config_equal.c - whether two container configs mean the same, so that
 * a reload leaves an unchanged container alone (same pid). */
#include <stdbool.h>
#include <string.h>

#include "config.h"

static bool id_map_equal(const struct id_map *a, const struct id_map *b)
{
	return a->inside == b->inside && a->outside == b->outside && a->count == b->count;
}

static bool streq_null(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strv_equal(char *const *a, char *const *b)
{
	if (!a || !b)
		return a == b;
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return !*a && !*b;
}

static bool rlimit_equal(const struct config_rlimit *a, const struct config_rlimit *b)
{
	return a->set == b->set && (!a->set || (a->soft == b->soft && a->hard == b->hard));
}

bool container_config_equal(const struct container_config *a, const struct container_config *b)
{
	return streq_null(a->name, b->name) &&
	       streq_null(a->rootfs, b->rootfs) &&
	       streq_null(a->command, b->command) &&
	       strv_equal(a->argv, b->argv) &&
	       streq_null(a->workdir, b->workdir) &&
	       streq_null(a->hostname, b->hostname) &&
	       a->n_env == b->n_env &&
	       strv_equal(a->env, b->env) &&
	       a->has_user == b->has_user &&
	       a->uid == b->uid &&
	       a->gid == b->gid &&
	       a->network == b->network &&
	       a->memory_max == b->memory_max &&
	       a->cpu_max == b->cpu_max &&
	       a->pids_max == b->pids_max &&
	       a->restart == b->restart &&
	       a->restart_delay_ms == b->restart_delay_ms &&
	       a->restart_delay_max_ms == b->restart_delay_max_ms &&
	       a->restart_reset_ms == b->restart_reset_ms &&
	       a->start_limit_burst == b->start_limit_burst &&
	       a->start_limit_window_ms == b->start_limit_window_ms &&
	       a->oom_policy == b->oom_policy &&
	       a->stop_signal == b->stop_signal &&
	       a->stop_timeout_ms == b->stop_timeout_ms &&
	       a->autostart == b->autostart &&
	       a->readonly_rootfs == b->readonly_rootfs &&
	       a->capabilities == b->capabilities &&
	       a->keep_capabilities == b->keep_capabilities &&
	       a->no_new_privs == b->no_new_privs &&
	       a->seccomp == b->seccomp &&
	       rlimit_equal(&a->rlimit_nofile, &b->rlimit_nofile) &&
	       rlimit_equal(&a->rlimit_nproc, &b->rlimit_nproc) &&
	       rlimit_equal(&a->rlimit_core, &b->rlimit_core) &&
	       a->init == b->init &&
	       a->userns == b->userns &&
	       id_map_equal(&a->uid_map, &b->uid_map) &&
	       id_map_equal(&a->gid_map, &b->gid_map);
}
