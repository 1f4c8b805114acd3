/* ctl.h - the control socket: a Unix stream socket on which supctl sends
 * one request line (protocol in ctl_request.h) and reads reply lines ending
 * with one final line, "ok [MESSAGE]" or "error MESSAGE". The request may be
 * answered later (a start waits until the container runs). Decides nothing:
 * requests go to the daemon's callback.
 *
 * Who may connect: root, the user supd runs as, and, when a control group
 * is set, processes whose group or supplementary groups include it (from
 * the socket's peer credentials, SO_PEERCRED and SO_PEERGROUPS). The socket
 * is 0600, or 0660 owned by the control group.
 *
 * Limits, so that no client can stall the loop or exhaust supd:
 *   - CTL_MAX_CLIENTS connections at once; one more gets "error busy ..."
 *     and is closed;
 *   - CTL_TIMEOUT_MS to send the request line, and again to take the final
 *     reply once it is sent; past either the client is dropped;
 *   - CTL_MAX_QUEUED bytes of replies waiting for a client that does not
 *     read them; past that it is dropped;
 *   - a line longer than CTL_MAX_LINE, or one that does not decode, gets an
 *     error reply and the connection is closed. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "err.h"

#define CTL_MAX_CLIENTS 64
#define CTL_TIMEOUT_MS 10000
#define CTL_MAX_QUEUED (64u << 10) /* bytes */
#define CTL_NO_GROUP ((gid_t)-1)

struct ctl;
struct ctl_client;

struct ctl_callbacks {
	/* A decoded request: its verb and the rest (may be ""). */
	void (*on_request)(void *data, struct ctl_client *cl, const char *verb, const char *arg);
	/* The client went away before its final reply; forget it. */
	void (*on_gone)(void *data, struct ctl_client *cl);
	void *data;
};

/* No supd listens at path (a stale socket file is removed). 0, or
 * -EADDRINUSE (another supd runs) / -errno with err set. */
int ctl_check_free(const char *path, struct sup_err *err);
/* Listen on path; group is the control group (CTL_NO_GROUP for none) and
 * group_name its name for messages. A stale socket file (nobody accepting)
 * is replaced; a live one is an error (-EADDRINUSE: another supd runs). */
int ctl_open(uv_loop_t *loop, const char *path, gid_t group, const char *group_name, const struct ctl_callbacks *cbs,
	     struct ctl **ret, struct sup_err *err);
/* Change the control group (on reload): the socket's owner group and mode
 * follow. Clients already connected stay. 0 or -errno (err filled). */
int ctl_set_group(struct ctl *ctl, gid_t group, const char *group_name, struct sup_err *err);
/* Close the listener and every client; unlink the socket. NULL ok. */
void ctl_close(struct ctl *ctl);

/* Send an intermediate line (no newline needed). */
void ctl_send_line(struct ctl_client *cl, const char *fmt, ...) _printf_(2, 3);
/* Send the final line and close the client. */
void ctl_reply(struct ctl_client *cl, bool ok, const char *fmt, ...) _printf_(3, 4);

/* Owner's slot on a client, e.g. the container it waits on. */
void *ctl_client_get_data(struct ctl_client *cl);
void ctl_client_set_data(struct ctl_client *cl, void *p);
