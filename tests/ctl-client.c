/* ctl-client - a misbehaving control socket client for t_ctl_abuse.
 *
 *   ctl-client SOCKET send          send stdin as is (any bytes, no newline
 *                                   added), shut down the writing side, then
 *                                   print what supd answers until it closes
 *                                   (at most 30 s)
 *   ctl-client SOCKET hold N        open N connections; half send half a
 *                                   request line, half nothing; print
 *                                   "held N", then wait (at most 30 s) until
 *                                   supd closes them and print
 *                                   "closed C timed_out T after MS ms"
 *   ctl-client SOCKET flood N       open N connections at once, send
 *                                   nothing, wait 1 s, print "busy B" (how
 *                                   many got supd's "error busy" reply),
 *                                   then close them all
 *
 * Exits 1 with a message when it cannot connect (e.g. "Permission
 * denied": the socket file's mode kept it out). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 30000

static const char *sock_path;

static int connect_ctl(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "ctl-client: connect %s: %s\n", sock_path, strerror(errno));
		exit(1);
	}
	return fd;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read what fd has until EOF or error, waiting at most WAIT_MS; appended
 * to buf (NUL-terminated, truncated at size). Returns 0 at EOF or reset,
 * -1 on timeout. */
static int read_until_closed(int fd, char *buf, size_t size)
{
	size_t len = strlen(buf);
	long deadline = now_ms() + WAIT_MS;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = deadline - now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return -1;
		char tmp[4096];
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n <= 0)
			return 0;
		size_t k = (size_t)n < size - 1 - len ? (size_t)n : size - 1 - len;
		memcpy(buf + len, tmp, k);
		buf[len += k] = 0;
	}
}

static int do_send(void)
{
	int fd = connect_ctl();
	char buf[65536];
	ssize_t n;
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t k = send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
			if (k < 0)
				goto sent; /* supd closed already; its answer may still be there */
			off += k;
		}
sent:
	shutdown(fd, SHUT_WR); /* the end of the request, as a client that quits would */
	buf[0] = 0;
	if (read_until_closed(fd, buf, sizeof(buf)) < 0) {
		printf("%s(no close within %d ms)\n", buf, WAIT_MS);
		return 1;
	}
	fputs(buf, stdout);
	return 0;
}

static int do_hold(int n)
{
	int *fds = calloc((size_t)n, sizeof(*fds));
	for (int i = 0; i < n; i++) {
		fds[i] = connect_ctl();
		if (i % 2 && write(fds[i], "sup/1 sta", 9) != 9)
			return 1;
	}
	printf("held %d\n", n);
	fflush(stdout);
	long start = now_ms();
	int closed = 0, timed_out = 0;
	for (int i = 0; i < n; i++) {
		char buf[1024] = "";
		if (read_until_closed(fds[i], buf, sizeof(buf)) == 0)
			closed++;
		if (!strncmp(buf, "error timed out", 15))
			timed_out++;
		close(fds[i]);
	}
	printf("closed %d timed_out %d after %ld ms\n", closed, timed_out, now_ms() - start);
	free(fds);
	return 0;
}

static int do_flood(int n)
{
	int *fds = calloc((size_t)n, sizeof(*fds));
	for (int i = 0; i < n; i++)
		fds[i] = connect_ctl();
	sleep(1);
	int busy = 0;
	for (int i = 0; i < n; i++) {
		char buf[256];
		struct pollfd p = { .fd = fds[i], .events = POLLIN };
		if (poll(&p, 1, 0) == 1) {
			ssize_t k = read(fds[i], buf, sizeof(buf) - 1);
			if (k > 0) {
				buf[k] = 0;
				busy += !strncmp(buf, "error busy", 10);
			}
		}
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	printf("busy %d\n", busy);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: ctl-client SOCKET send | hold N | flood N\n");
		return 2;
	}
	sock_path = argv[1];
	if (!strcmp(argv[2], "send"))
		return do_send();
	if (argc == 4 && !strcmp(argv[2], "hold"))
		return do_hold(atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[2], "flood"))
		return do_flood(atoi(argv[3]));
	fprintf(stderr, "usage: ctl-client SOCKET send | hold N | flood N\n");
	return 2;
}
