/* signals.h - the daemon's signals as loop events: SIGTERM/SIGINT (stop),
 * SIGHUP (reload), SIGCHLD (reap). libuv's uv_signal is the signal bridge:
 * the handler only writes to a pipe, everything else runs on the loop.
 * SIGPIPE is ignored so a vanished client cannot kill supd. */
#pragma once

#include <uv.h>

struct signals;
typedef void (*signals_cb)(void *data, int signum);

/* 0 or -errno (libuv codes). */
int signals_start(uv_loop_t *loop, signals_cb cb, void *data, struct signals **ret);
/* Stop and close the handles; frees after the close callbacks. NULL ok. */
void signals_close(struct signals *s);
