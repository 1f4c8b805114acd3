/* oomwatch.h - turns a cgroup's OOM notification into a callback: on v2 an
 * inotify watch of memory.events (libuv shares one inotify fd per loop, so
 * thousands of containers do not run into max_user_instances), on v1 the
 * eventfd registered on memory.oom_control. It only says "look now": the
 * supervisor re-reads the counters and decides. Self-freeing after close. */
#pragma once

#include <uv.h>

#include "cgroup.h"

struct oomwatch;
typedef void (*oomwatch_cb)(void *data);

/* 0 or a negative libuv/errno code. */
int oomwatch_start(uv_loop_t *loop, const struct cgroup_oom_source *src, oomwatch_cb cb, void *data, struct oomwatch **ret);
/* Stop; frees after libuv's close callback. NULL ok. The eventfd itself
 * belongs to the cgroup. */
void oomwatch_close(struct oomwatch *w);
