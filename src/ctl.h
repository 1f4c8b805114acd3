/* ctl.h - the control socket: a Unix stream socket (mode 0600, peer
 * credentials checked) on which supctl sends one request line,
 * "VERB [ARG...]\n", and reads reply lines ending with one final line,
 * "ok [MESSAGE]" or "error MESSAGE". The request may be answered later (a
 * start waits until the container runs). Decides nothing: requests go to
 * the daemon's callback. */
#pragma once

#include <stdbool.h>
#include <uv.h>

#include "err.h"

struct ctl;
struct ctl_client;

struct ctl_callbacks {
	/* A complete request line, split into verb and the rest (may be ""). */
	void (*on_request)(void *data, struct ctl_client *cl, const char *verb, const char *arg);
	/* The client went away before its final reply; forget it. */
	void (*on_gone)(void *data, struct ctl_client *cl);
	void *data;
};

/* Listen on path. A stale socket file (nobody accepting) is replaced; a live
 * one is an error (-EADDRINUSE: another supd runs). */
int ctl_open(uv_loop_t *loop, const char *path, const struct ctl_callbacks *cbs, struct ctl **ret, struct sup_err *err);
/* Close the listener and every client; unlink the socket. NULL ok. */
void ctl_close(struct ctl *ctl);

/* Send an intermediate line (no newline needed). */
void ctl_send_line(struct ctl_client *cl, const char *fmt, ...) _printf_(2, 3);
/* Send the final line and close the client. */
void ctl_reply(struct ctl_client *cl, bool ok, const char *fmt, ...) _printf_(3, 4);

/* Owner's slot on a client, e.g. the container it waits on. */
void *ctl_client_get_data(struct ctl_client *cl);
void ctl_client_set_data(struct ctl_client *cl, void *p);
