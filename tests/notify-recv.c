/* notify-recv - a stand-in for the service manager's end of $NOTIFY_SOCKET
 * in integration tests.
 *
 *   notify-recv PATH [CTL_SOCKET]
 *
 * Binds an AF_UNIX datagram socket at PATH (a leading '@' names an abstract
 * socket) and prints each datagram received to stdout, followed by a
 * newline if it has none and a line "--"; stdout is flushed after each.
 * Runs until killed.
 *
 * With CTL_SOCKET, right after each datagram arrives (before printing it)
 * it tries to connect a stream socket to CTL_SOCKET and prints the outcome
 * as a line "ctl=ok" or "ctl=ERROR" before the "--": whether supd's control
 * socket was listening at the moment the message was received, without the
 * delay of a shell polling for it. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t make_addr(const char *path, struct sockaddr_un *sa)
{
	size_t n = strlen(path);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sa->sun_path))
		return 0;
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@') {
		sa->sun_path[0] = 0;
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

static const char *try_connect(const struct sockaddr_un *sa, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return strerror(errno);
	int r = connect(fd, (const struct sockaddr *)sa, len);
	int e = errno;
	close(fd);
	return r == 0 ? "ok" : strerror(e);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa, ctl;
	socklen_t sa_len, ctl_len = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: notify-recv PATH [CTL_SOCKET]\n");
		return 2;
	}
	if (!(sa_len = make_addr(argv[1], &sa)) || (argc == 3 && !(ctl_len = make_addr(argv[2], &ctl)))) {
		fprintf(stderr, "notify-recv: path empty or too long\n");
		return 2;
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sa_len) < 0) {
		fprintf(stderr, "notify-recv: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	static char buf[65536];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "notify-recv: recv: %s\n", strerror(errno));
			return 1;
		}
		const char *ctl_state = ctl_len ? try_connect(&ctl, ctl_len) : NULL;
		fwrite(buf, 1, (size_t)n, stdout);
		if (n == 0 || buf[n - 1] != '\n')
			putchar('\n');
		if (ctl_state)
			printf("ctl=%s\n", ctl_state);
		fputs("--\n", stdout);
		fflush(stdout);
	}
}
