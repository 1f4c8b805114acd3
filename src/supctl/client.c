/* client.c - supctl's side of the control socket: one request line, then
 * reply lines until the final "ok ..." or "error ...". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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
	char line[4096];
	snprintf(line, sizeof(line), "%s %s\n", verb, arg ? arg : "");
	if (fd_write_all(fd, line, strlen(line)) < 0) {
		fprintf(stderr, "supctl: sending to supd at %s: %s\n", o->socket_path, strerror(errno));
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

int supctl_version(const struct supctl_opts *o)
{
	printf("supctl %s\n", SUP_VERSION);
	fflush(stdout);
	if (supctl_request(o, "ping", NULL) != SUPCTL_OK)
		printf("supd: not running (socket %s)\n", o->socket_path);
	return SUPCTL_OK;
}
