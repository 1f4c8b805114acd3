/* oomwatch.h - turns a cgroup's OOM notification into a callback: on v2 an
 * inotify watch of memory.events (libuv shares one inotify fd per loop, so
 * thousands of containers do not run into max_user_instances), on v1 the
 * eventfd registered on memory.oom_control. It only says "look now": the
 * supervisor re-reads the counters and decides. Self-freeing after close. */
#pragma once

#include <uv.h>

#include "cgroup.h"

struct oomwatch;
struct oomwatch_fd;
typedef void (*oomwatch_cb)(void *data);

/* The watches of one loop: v1 eventfds are shared by a few groups, and
 * each gets one poll handle whichever watches use it. */
struct oomwatch_set {
	uv_loop_t *loop;
	struct oomwatch_fd **by_fd; /* indexed by eventfd number */
	int n_by_fd;
};

void oomwatch_set_init(struct oomwatch_set *set, uv_loop_t *loop);
/* Once every watch is closed. */
void oomwatch_set_done(struct oomwatch_set *set);

/* Call cb(data) whenever src announces something: with a shared eventfd,
 * also for the other groups on it (cb re-reads and finds nothing new). cb
 * must not close watches. 0 or a negative libuv/errno code. */
int oomwatch_start(struct oomwatch_set *set, const struct cgroup_oom_source *src, oomwatch_cb cb, void *data,
		   struct oomwatch **ret);
/* Stop; the fd is no longer polled once the last watch on it is closed
 * (so its owner may close it right after). NULL ok. The eventfd itself
 * belongs to the cgroup manager. */
void oomwatch_close(struct oomwatch *w);
