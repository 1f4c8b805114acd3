/* ctl.c - see ctl.h. The request line is decoded by ctl_request.c; this
 * file owns the sockets, the limits and who may connect. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ctl.h"
#include "ctl_request.h"
#include "macro.h"

#define SWEEP_INTERVAL_MS 1000 /* how often deadlines and dropped clients are checked */

struct ctl_client {
	uv_pipe_t pipe; /* first member */
	struct ctl *ctl;
	struct ctl_client *next, *prev;
	char line[CTL_MAX_LINE]; /* the request as read so far; not NUL-terminated */
	size_t len;              /* bytes in line */
	uint64_t deadline_ms;    /* loop time by which the request must arrive, or the reply be taken; 0 = none */
	bool got_request, replied;
	bool overflowed; /* too many reply bytes queued: dropped at the next sweep */
	void *data;
};

struct ctl {
	uv_pipe_t server;
	uv_timer_t sweep; /* drops clients past their deadline */
	int open_handles; /* server and sweep until both are closed */
	struct ctl_callbacks cbs;
	struct ctl_client *clients;
	int n_clients;
	gid_t group;      /* control group, or CTL_NO_GROUP */
	char *group_name; /* for messages; NULL without a group */
	char *path;
};

struct ctl_write {
	uv_write_t req;
	char text[];
};

static void on_client_closed(uv_handle_t *h)
{
	free(h);
}

static void client_close(struct ctl_client *cl)
{
	if (uv_is_closing((uv_handle_t *)&cl->pipe))
		return;
	struct ctl *ctl = cl->ctl;
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		ctl->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	/* Idle supd sleeps: the sweep runs only while someone is connected. */
	if (--ctl->n_clients == 0)
		uv_timer_stop(&ctl->sweep);
	if (cl->got_request && !cl->replied && ctl->cbs.on_gone)
		ctl->cbs.on_gone(ctl->cbs.data, cl);
	uv_close((uv_handle_t *)&cl->pipe, on_client_closed);
}

static void on_written(uv_write_t *req, int status)
{
	(void)status; /* a client that left sees nothing; nothing to do */
	free(req);
}

/* Queue text for the client. A client that lets more than CTL_MAX_QUEUED
 * bytes pile up is marked and dropped by the sweep, not here: this runs
 * inside the daemon's reply, where on_gone must not re-enter it. */
static void client_write(struct ctl_client *cl, const char *text, size_t n)
{
	if (uv_is_closing((uv_handle_t *)&cl->pipe) || cl->overflowed)
		return;
	if (uv_stream_get_write_queue_size((uv_stream_t *)&cl->pipe) + n > CTL_MAX_QUEUED) {
		cl->overflowed = true;
		return;
	}
	struct ctl_write *w = xmalloc(sizeof(*w) + n);
	memcpy(w->text, text, n);
	uv_buf_t b = uv_buf_init(w->text, (unsigned)n);
	if (uv_write(&w->req, (uv_stream_t *)&cl->pipe, &b, 1, on_written) < 0)
		free(w);
}

/* Format "<prefix><message>\n" into buf (size > 2): one line, newlines in
 * the message turned into spaces. Returns its length. */
static size_t format_line(char *buf, size_t size, const char *prefix, const char *fmt, va_list ap) _printf_(4, 0);
static size_t format_line(char *buf, size_t size, const char *prefix, const char *fmt, va_list ap)
{
	int n = snprintf(buf, size, "%s", prefix);
	int k = vsnprintf(buf + n, size - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (k < 0 ? 0 : (size_t)k);
	if (len > size - 2)
		len = size - 2;
	/* One request, one line per message: newlines inside would break framing. */
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	buf[len++] = '\n';
	return len;
}

static void client_vprintf(struct ctl_client *cl, const char *prefix, const char *fmt, va_list ap) _printf_(3, 0);
static void client_vprintf(struct ctl_client *cl, const char *prefix, const char *fmt, va_list ap)
{
	char msg[8192];
	size_t len = format_line(msg, sizeof(msg), prefix, fmt, ap);
	client_write(cl, msg, len);
}

void ctl_send_line(struct ctl_client *cl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	client_vprintf(cl, "", fmt, ap);
	va_end(ap);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	(void)status;
	client_close(req->data);
	free(req);
}

void ctl_reply(struct ctl_client *cl, bool ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	client_vprintf(cl, ok ? "ok " : "error ", fmt, ap);
	va_end(ap);
	cl->replied = true;
	/* A client that does not take its reply is dropped by the sweep. */
	cl->deadline_ms = uv_now(cl->pipe.loop) + CTL_TIMEOUT_MS;
	/* Shut down after the queued writes drain, then close. */
	uv_shutdown_t *req = xmalloc(sizeof(*req));
	req->data = cl;
	if (uv_shutdown(req, (uv_stream_t *)&cl->pipe, on_shutdown) < 0) {
		free(req);
		client_close(cl);
	}
}

void *ctl_client_get_data(struct ctl_client *cl)
{
	return cl->data;
}

void ctl_client_set_data(struct ctl_client *cl, void *p)
{
	cl->data = p;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct ctl_client *cl = (struct ctl_client *)h;
	/* Never empty: reading stops once the line is full. */
	*buf = uv_buf_init(cl->line + cl->len, (unsigned)(sizeof(cl->line) - cl->len));
}

static void dispatch_line(struct ctl_client *cl, size_t len)
{
	struct ctl_request req;
	struct sup_err err = { 0 };
	if (ctl_request_parse(cl->line, len, &req, &err) < 0) {
		ctl_reply(cl, false, "%s", err.msg);
		return;
	}
	cl->got_request = true;
	cl->deadline_ms = 0; /* the daemon answers when it can (a start waits) */
	cl->ctl->cbs.on_request(cl->ctl->cbs.data, cl, req.verb, req.arg);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	(void)buf;
	struct ctl_client *cl = (struct ctl_client *)s;
	if (n == UV_EOF && cl->len > 0) {
		uv_read_stop(s);
		ctl_reply(cl, false, "request not terminated by a newline");
		return;
	}
	if (n < 0) {
		client_close(cl);
		return;
	}
	size_t old = cl->len;
	cl->len += (size_t)n;
	char *nl = memchr(cl->line + old, '\n', (size_t)n);
	if (nl) {
		uv_read_stop(s); /* one request per connection; the rest is ignored */
		dispatch_line(cl, (size_t)(nl - cl->line));
	} else if (cl->len == sizeof(cl->line)) {
		uv_read_stop(s);
		ctl_reply(cl, false, "request longer than %d bytes", CTL_MAX_LINE - 1);
	}
}

static void on_sweep(uv_timer_t *t)
{
	struct ctl *ctl = t->data;
	uint64_t now = uv_now(t->loop);
	for (struct ctl_client *cl = ctl->clients, *next; cl; cl = next) {
		next = cl->next;
		if (cl->overflowed)
			client_close(cl);
		else if (cl->deadline_ms && now >= cl->deadline_ms && cl->replied)
			client_close(cl);
		else if (cl->deadline_ms && now >= cl->deadline_ms) {
			uv_read_stop((uv_stream_t *)&cl->pipe);
			ctl_reply(cl, false, "timed out: no complete request line within %d s", CTL_TIMEOUT_MS / 1000);
		}
	}
}

/* Whether the peer of the socket fd has group among its supplementary
 * groups (as they were when it connected). */
static bool peer_has_group(int fd, gid_t group)
{
	gid_t small[64];
	_cleanup_free_ gid_t *big = NULL;
	gid_t *groups = small;
	socklen_t len = sizeof(small);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		if (errno != ERANGE)
			return false;
		groups = big = xmalloc(len); /* len is now the size needed */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
			return false;
	}
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == group)
			return true;
	return false;
}

/* Root, supd's own user, and members of the control group may drive supd. */
static bool peer_is_allowed(const struct ctl *ctl, uv_pipe_t *p, uid_t *ret_uid)
{
	uv_os_fd_t fd;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	*ret_uid = (uid_t)-1;
	if (uv_fileno((uv_handle_t *)p, &fd) < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	*ret_uid = cred.uid;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	if (ctl->group == CTL_NO_GROUP)
		return false;
	return cred.gid == ctl->group || peer_has_group(fd, ctl->group);
}

/* Answer a connection that is not taken in with one error line and close
 * it at once. The line fits any socket buffer, so a try_write suffices and
 * nothing is left queued for a peer that may never read. */
static void refuse(uv_pipe_t *p, const char *fmt, ...) _printf_(2, 3);
static void refuse(uv_pipe_t *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	size_t len = format_line(msg, sizeof(msg), "error ", fmt, ap);
	va_end(ap);
	uv_buf_t b = uv_buf_init(msg, (unsigned)len);
	(void)uv_try_write((uv_stream_t *)p, &b, 1);
	uv_close((uv_handle_t *)p, on_client_closed);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct ctl *ctl = server->data;
	if (status < 0)
		return;
	struct ctl_client *cl = xcalloc(1, sizeof(*cl));
	cl->ctl = ctl;
	uv_pipe_init(server->loop, &cl->pipe, 0);
	if (uv_accept(server, (uv_stream_t *)&cl->pipe) < 0) {
		uv_close((uv_handle_t *)&cl->pipe, on_client_closed);
		return;
	}
	uid_t uid;
	if (!peer_is_allowed(ctl, &cl->pipe, &uid)) {
		if (ctl->group_name)
			refuse(&cl->pipe, "permission denied: uid %d may not use this socket "
				"(only root, uid %d and members of group '%s' may)", (int)uid, (int)geteuid(), ctl->group_name);
		else
			refuse(&cl->pipe, "permission denied: uid %d may not use this socket "
				"(only root and uid %d may; see control_group in supd.conf(5))", (int)uid, (int)geteuid());
		return;
	}
	if (ctl->n_clients >= CTL_MAX_CLIENTS) {
		refuse(&cl->pipe, "busy: %d control connections already open; try again", ctl->n_clients);
		return;
	}
	cl->next = ctl->clients;
	if (ctl->clients)
		ctl->clients->prev = cl;
	ctl->clients = cl;
	if (ctl->n_clients++ == 0)
		uv_timer_start(&ctl->sweep, on_sweep, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS);
	cl->deadline_ms = uv_now(server->loop) + CTL_TIMEOUT_MS;
	uv_read_start((uv_stream_t *)&cl->pipe, on_alloc, on_read);
}

/* A socket file nobody accepts on is left over from a crashed supd. */
static int remove_stale_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	if (r == 0)
		return -EADDRINUSE;
	if (e == ECONNREFUSED && unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int ctl_set_group(struct ctl *ctl, gid_t group, const char *group_name, struct sup_err *err)
{
	/* Narrow the mode before handing the file to another group, widen it
	 * only after: never a moment where the wrong group may connect. */
	if (chmod(ctl->path, 0600) < 0)
		return sup_err_set(err, -errno, "socket %s: chmod: %s", ctl->path, strerror(errno));
	if (chown(ctl->path, (uid_t)-1, group == CTL_NO_GROUP ? getegid() : group) < 0)
		return sup_err_set(err, -errno, "socket %s: chown to group %s: %s", ctl->path,
				   group_name ? group_name : "of supd", strerror(errno));
	if (group != CTL_NO_GROUP && chmod(ctl->path, 0660) < 0)
		return sup_err_set(err, -errno, "socket %s: chmod: %s", ctl->path, strerror(errno));
	ctl->group = group;
	free(ctl->group_name);
	ctl->group_name = group == CTL_NO_GROUP ? NULL : xstrdup(group_name);
	return 0;
}

int ctl_check_free(const char *path, struct sup_err *err)
{
	struct sockaddr_un sa;
	if (strlen(path) >= sizeof(sa.sun_path))
		return sup_err_set(err, -ENAMETOOLONG, "socket path '%s' is longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
	int r = remove_stale_socket(path);
	if (r == -EADDRINUSE)
		return sup_err_set(err, r, "socket %s: another supd is already listening there", path);
	if (r < 0)
		return sup_err_set(err, r, "socket %s: %s", path, strerror(-r));
	return 0;
}

int ctl_open(uv_loop_t *loop, const char *path, gid_t group, const char *group_name, const struct ctl_callbacks *cbs,
	     struct ctl **ret, struct sup_err *err)
{
	int r = ctl_check_free(path, err);
	if (r < 0)
		return r;

	struct ctl *ctl = xcalloc(1, sizeof(*ctl));
	ctl->cbs = *cbs;
	ctl->path = xstrdup(path);
	ctl->group = CTL_NO_GROUP;
	uv_pipe_init(loop, &ctl->server, 0);
	ctl->server.data = ctl;
	uv_timer_init(loop, &ctl->sweep);
	ctl->sweep.data = ctl;
	ctl->open_handles = 2;
	/* umask instead of a chmod after bind: no window with a wider mode. */
	mode_t old = umask(0177);
	r = uv_pipe_bind(&ctl->server, path);
	umask(old);
	if (r < 0) {
		sup_err_set(err, r, "socket %s: %s", path, uv_strerror(r));
		ctl->path[0] = 0; /* not ours to unlink */
		ctl_close(ctl);
		return r;
	}
	if (group != CTL_NO_GROUP && (r = ctl_set_group(ctl, group, group_name, err)) < 0) {
		ctl_close(ctl);
		return r;
	}
	if ((r = uv_listen((uv_stream_t *)&ctl->server, 128, on_connection)) < 0) {
		sup_err_set(err, r, "socket %s: %s", path, uv_strerror(r));
		ctl_close(ctl);
		return r;
	}
	uv_unref((uv_handle_t *)&ctl->sweep); /* the sweep alone keeps no loop alive */
	*ret = ctl;
	return 0;
}

static void on_handle_closed(uv_handle_t *h)
{
	struct ctl *ctl = h->data;
	if (--ctl->open_handles > 0)
		return;
	free(ctl->group_name);
	free(ctl->path);
	free(ctl);
}

void ctl_close(struct ctl *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		client_close(ctl->clients);
	if (ctl->path[0])
		unlink(ctl->path);
	uv_close((uv_handle_t *)&ctl->server, on_handle_closed);
	uv_close((uv_handle_t *)&ctl->sweep, on_handle_closed);
}
