/* client.c - supctl's side of the control socket: one request line
 * ("sup/1 VERB ARG", see ctl_request.h), then reply lines until the final
 * "ok ..." or "error ...". */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_request.h"
#include "fd.h"
#include "supctl.h"

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* send() with MSG_NOSIGNAL: a closed socket is an error, not a SIGPIPE. */
static int send_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, buf, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

int supctl_request(const struct supctl_opts *o, const char *verb, const char *arg)
{
	int fd = connect_socket(o->socket_path);
	if (fd < 0 && !strcmp(verb, "ping"))
		return SUPCTL_FAIL; /* supctl version: "not running" is an answer */
	if (fd < 0) {
		if (fd == -ENOENT || fd == -ECONNREFUSED)
			fprintf(stderr, "supctl: supd is not running: socket %s: %s; start it with 'supd -c %s'\n",
				o->socket_path, strerror(-fd), o->config_path);
		else
			fprintf(stderr, "supctl: cannot reach supd at %s: %s\n", o->socket_path, strerror(-fd));
		return SUPCTL_FAIL;
	}
	char line[CTL_MAX_LINE + 1];
	int n = ctl_request_format(line, sizeof(line), verb, arg);
	if (n < 0) {
		fprintf(stderr, "supctl: request too long (max %d bytes)\n", CTL_MAX_LINE - 1);
		close(fd);
		return SUPCTL_FAIL;
	}
	int w = send_all(fd, line, (size_t)n);
	/* A refusal (permission, busy) may close before reading: its error line
	 * is still there to read, so a broken pipe is not the end. */
	if (w < 0 && w != -EPIPE && w != -ECONNRESET) {
		fprintf(stderr, "supctl: sending to supd at %s: %s\n", o->socket_path, strerror(-w));
		close(fd);
		return SUPCTL_FAIL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return SUPCTL_FAIL;
	}
	int status = -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "ok", 2) && (line[2] == ' ' || line[2] == 0)) {
			if (line[2] && line[3])
				printf("%s\n", line + 3);
			status = SUPCTL_OK;
			break;
		}
		if (!strncmp(line, "error ", 6)) {
			fprintf(stderr, "supctl: %s\n", line + 6);
			status = SUPCTL_FAIL;
			break;
		}
		printf("%s\n", line);
	}
	fclose(f);
	if (status < 0) {
		fprintf(stderr, "supctl: supd closed the connection without an answer (did it exit? see its log)\n");
		status = SUPCTL_FAIL;
	}
	return status;
}

/* Whether a supd answers ping on the socket now (no output). */
static bool supd_answers(const struct supctl_opts *o)
{
	int fd = connect_socket(o->socket_path);
	if (fd < 0)
		return false;
	char line[256];
	int n = ctl_request_format(line, sizeof(line), "ping", NULL);
	bool ok = n > 0 && fd_write_all(fd, line, (size_t)n) == 0 && fd_read(fd, line, sizeof(line) - 1) > 2 &&
		  !strncmp(line, "ok", 2);
	close(fd);
	return ok;
}

int supctl_daemon_reexec(const struct supctl_opts *o)
{
	int r = supctl_request(o, "daemon-reexec", NULL);
	if (r != SUPCTL_OK)
		return r;
	fflush(stdout);
	/* The old image closes its socket as it executes; the new one opens it
	 * again once it has re-adopted every container. */
	for (int i = 0; i < 600; i++) {
		usleep(50 * 1000);
		if (supd_answers(o))
			return supctl_request(o, "ping", NULL);
	}
	fprintf(stderr, "supctl: supd did not answer within 30 s after re-executing; see its log\n");
	return SUPCTL_FAIL;
}

int supctl_version(const struct supctl_opts *o)
{
	printf("supctl %s\n", SUP_VERSION);
	fflush(stdout);
	if (supctl_request(o, "ping", NULL) != SUPCTL_OK)
		printf("supd: not running (socket %s)\n", o->socket_path);
	return SUPCTL_OK;
}
