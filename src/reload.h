/* reload.h - applying a new configuration to a running supd (SIGHUP,
 * supctl reload): the diff between the old and the new container sets and
 * the steps that must wait until a container is settled. Part of the top
 * layer with daemon.c; the supervisor still performs every state change. */
#pragma once

struct supd;
struct container;

/* A container settled: finish its pending reload step (restart it with its
 * new config, or free it if it was removed). */
void reload_container_settled(struct supd *d, struct container *c);
