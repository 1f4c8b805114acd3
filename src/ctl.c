/* ctl.c - see ctl.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ctl.h"
#include "macro.h"

#define CTL_MAX_LINE 4096

struct ctl_client {
	uv_pipe_t pipe; /* first member */
	struct ctl *ctl;
	struct ctl_client *next, *prev;
	char line[CTL_MAX_LINE];
	size_t len;
	bool got_request, replied;
	void *data;
};

struct ctl {
	uv_pipe_t server;
	struct ctl_callbacks cbs;
	struct ctl_client *clients;
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
	if (cl->got_request && !cl->replied && ctl->cbs.on_gone)
		ctl->cbs.on_gone(ctl->cbs.data, cl);
	uv_close((uv_handle_t *)&cl->pipe, on_client_closed);
}

static void on_written(uv_write_t *req, int status)
{
	(void)status; /* a client that left sees nothing; nothing to do */
	free(req);
}

static void client_write(struct ctl_client *cl, const char *text, size_t n)
{
	if (uv_is_closing((uv_handle_t *)&cl->pipe))
		return;
	struct ctl_write *w = xmalloc(sizeof(*w) + n);
	memcpy(w->text, text, n);
	uv_buf_t b = uv_buf_init(w->text, (unsigned)n);
	if (uv_write(&w->req, (uv_stream_t *)&cl->pipe, &b, 1, on_written) < 0)
		free(w);
}

static void client_vprintf(struct ctl_client *cl, const char *prefix, const char *fmt, va_list ap)
{
	char msg[8192];
	int n = snprintf(msg, sizeof(msg), "%s", prefix);
	int k = vsnprintf(msg + n, sizeof(msg) - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (k < 0 ? 0 : (size_t)k);
	if (len > sizeof(msg) - 2)
		len = sizeof(msg) - 2;
	/* One request, one line per message: newlines inside would break framing. */
	for (size_t i = 0; i < len; i++)
		if (msg[i] == '\n')
			msg[i] = ' ';
	msg[len++] = '\n';
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
	*buf = uv_buf_init(cl->line + cl->len, (unsigned)(sizeof(cl->line) - cl->len - 1));
}

static void dispatch_line(struct ctl_client *cl)
{
	char *verb = cl->line;
	while (*verb == ' ')
		verb++;
	char *arg = verb + strcspn(verb, " ");
	if (*arg)
		*arg++ = 0;
	while (*arg == ' ')
		arg++;
	cl->got_request = true;
	uv_read_stop((uv_stream_t *)&cl->pipe);
	cl->ctl->cbs.on_request(cl->ctl->cbs.data, cl, verb, arg);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	(void)buf;
	struct ctl_client *cl = (struct ctl_client *)s;
	if (n < 0) {
		client_close(cl);
		return;
	}
	cl->len += (size_t)n;
	cl->line[cl->len] = 0;
	char *nl = memchr(cl->line, '\n', cl->len);
	if (nl) {
		*nl = 0;
		if (nl > cl->line && nl[-1] == '\r')
			nl[-1] = 0;
		dispatch_line(cl);
	} else if (cl->len >= sizeof(cl->line) - 1) {
		ctl_reply(cl, false, "request line longer than %d bytes", CTL_MAX_LINE - 1);
	}
}

/* Only root and supd's own user may drive supd. */
static bool peer_is_allowed(uv_pipe_t *p)
{
	uv_os_fd_t fd;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (uv_fileno((uv_handle_t *)p, &fd) < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
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
	cl->next = ctl->clients;
	if (ctl->clients)
		ctl->clients->prev = cl;
	ctl->clients = cl;
	if (!peer_is_allowed(&cl->pipe)) {
		ctl_reply(cl, false, "permission denied: only root or the user supd runs as may use this socket");
		return;
	}
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

int ctl_open(uv_loop_t *loop, const char *path, const struct ctl_callbacks *cbs, struct ctl **ret, struct sup_err *err)
{
	struct sockaddr_un sa;
	if (strlen(path) >= sizeof(sa.sun_path))
		return sup_err_set(err, -ENAMETOOLONG, "socket path '%s' is longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
	int r = remove_stale_socket(path);
	if (r == -EADDRINUSE)
		return sup_err_set(err, r, "socket %s: another supd is already listening there", path);
	if (r < 0)
		return sup_err_set(err, r, "socket %s: %s", path, strerror(-r));

	struct ctl *ctl = xcalloc(1, sizeof(*ctl));
	ctl->cbs = *cbs;
	ctl->path = xstrdup(path);
	uv_pipe_init(loop, &ctl->server, 0);
	ctl->server.data = ctl;
	/* umask instead of a chmod after bind: no window with a wider mode. */
	mode_t old = umask(0177);
	r = uv_pipe_bind(&ctl->server, path);
	umask(old);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&ctl->server, 128, on_connection);
	if (r < 0) {
		sup_err_set(err, r, "socket %s: %s", path, uv_strerror(r));
		ctl->path[0] = 0; /* not ours to unlink */
		ctl_close(ctl);
		return r;
	}
	*ret = ctl;
	return 0;
}

static void on_server_closed(uv_handle_t *h)
{
	struct ctl *ctl = h->data;
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
	uv_close((uv_handle_t *)&ctl->server, on_server_closed);
}
