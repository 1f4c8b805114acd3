/* keeper_client.c - supd's end of the keeper (see keeper.h): find or start
 * the keeper, take back what it held, and tell it about each run. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd.h"
#include "keeper.h"
#include "macro.h"

struct keeper {
	int fd; /* -1 once the keeper is gone */
};

/* A SOCK_SEQPACKET socket and the address for path. fd or -errno. */
static int keeper_socket(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	int r, fd = keeper_socket(path, &sa);
	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	/* The keeper answers at once; a stuck one must not hang supd's start. */
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int spawn_keeper(const char *path, pid_t *ret_pid)
{
	struct sockaddr_un sa;
	int r, fd = keeper_socket(path, &sa);
	if (fd < 0)
		return fd;
	(void)unlink(path); /* a dead keeper's socket */
	mode_t old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ? -errno : 0;
	umask(old);
	if (r < 0) {
		close(fd);
		return r;
	}
	pid_t pid = fork();
	if (pid < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (pid == 0) {
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		/* Nothing of supd's but the socket (and stdio for messages). */
		if (fd > 3)
			close_range(3, (unsigned)fd - 1, 0);
		close_range((unsigned)fd + 1, ~0U, 0);
		keeper_main(fd);
	}
	close(fd);
	*ret_pid = pid;
	/* For operators and tests: which process is the keeper. */
	char pidfile[4096 + 8], text[32];
	snprintf(pidfile, sizeof(pidfile), "%s.pid", path);
	snprintf(text, sizeof(text), "%d\n", (int)pid);
	_cleanup_close_ int pf = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (pf >= 0)
		(void)fd_write_all(pf, text, strlen(text));
	return 0;
}

static int take_held(int fd, struct keeper_held **ret, int *ret_n)
{
	struct keeper_held *held = NULL;
	int n = 0, cap = 0, r;
	if ((r = keeper_send(fd, "take", NULL, 0)) < 0)
		return r;
	for (;;) {
		char text[KEEPER_MSG_MAX];
		int fds[4], n_fds = 0;
		r = keeper_recv(fd, text, sizeof(text), fds, 4, &n_fds);
		if (r <= 0) {
			r = r == 0 ? -ECONNRESET : r;
			break;
		}
		if (!strcmp(text, "end")) {
			*ret = held;
			*ret_n = n;
			return 0;
		}
		struct keeper_run run;
		if ((n_fds != 1 && n_fds != 3 && n_fds != 4) || strncmp(text, "held ", 5) || keeper_run_parse(text + 5, &run) < 0) {
			for (int i = 0; i < n_fds; i++)
				close(fds[i]);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			held = xrealloc(held, sizeof(*held) * (size_t)cap);
		}
		held[n++] = (struct keeper_held){ .run = run, .pidfd = fds[0], .out_fd = n_fds >= 3 ? fds[1] : -1,
						  .err_fd = n_fds >= 3 ? fds[2] : -1, .sync_fd = n_fds == 4 ? fds[3] : -1 };
	}
	keeper_held_free(held, n);
	return r;
}

int keeper_attach(const char *sock_path, struct keeper **ret, struct keeper_held **ret_held, int *ret_n, pid_t *ret_pid)
{
	*ret_pid = 0;
	*ret_held = NULL;
	*ret_n = 0;
	int fd = connect_to(sock_path), r;
	if (fd == -ENOENT || fd == -ECONNREFUSED) {
		if ((r = spawn_keeper(sock_path, ret_pid)) < 0)
			return r;
		fd = connect_to(sock_path);
	}
	if (fd < 0)
		return fd;
	if ((r = take_held(fd, ret_held, ret_n)) < 0) {
		close(fd);
		return r;
	}
	struct keeper *k = xcalloc(1, sizeof(*k));
	k->fd = fd;
	*ret = k;
	return 0;
}

static int keeper_send_or_lose(struct keeper *k, const char *text, const int *fds, int n_fds)
{
	if (!k || k->fd < 0)
		return -ENOTCONN;
	int r = keeper_send(k->fd, text, fds, n_fds);
	if (r < 0) /* gone, or stuck past the send timeout: never stall supd on it */
		k->fd = fd_close(k->fd);
	return r;
}

int keeper_hold(struct keeper *k, const struct keeper_run *run, const char *log_path, uint64_t log_max_size,
		int log_keep, int pidfd, int out_fd, int err_fd, int sync_fd)
{
	char text[KEEPER_MSG_MAX];
	memcpy(text, "hold ", 5);
	int n = keeper_run_format(run, text + 5, sizeof(text) - 5);
	if (n < 0)
		return n;
	if (snprintf(text + 5 + n, sizeof(text) - 5 - (size_t)n, " %" PRIu64 " %d %s", log_max_size, log_keep, log_path) >=
	    (int)(sizeof(text) - 5 - (size_t)n))
		return -ENAMETOOLONG;
	int fds[4] = { pidfd, out_fd, err_fd, sync_fd };
	bool pipes = out_fd >= 0 && err_fd >= 0;
	return keeper_send_or_lose(k, text, fds, pipes && sync_fd >= 0 ? 4 : pipes ? 3 : 1);
}

int keeper_released(struct keeper *k, pid_t pid, uint64_t starttime)
{
	char text[64];
	snprintf(text, sizeof(text), "released %d %" PRIu64, (int)pid, starttime);
	return keeper_send_or_lose(k, text, NULL, 0);
}

int keeper_drop(struct keeper *k, pid_t pid, uint64_t starttime)
{
	char text[64];
	snprintf(text, sizeof(text), "drop %d %" PRIu64, (int)pid, starttime);
	return keeper_send_or_lose(k, text, NULL, 0);
}

int keeper_quit(struct keeper *k)
{
	return keeper_send_or_lose(k, "quit", NULL, 0);
}

struct keeper *keeper_detach(struct keeper *k)
{
	if (k) {
		fd_close(k->fd);
		free(k);
	}
	return NULL;
}

int keeper_fd(const struct keeper *k)
{
	return k ? k->fd : -1;
}

bool keeper_is_connected(const struct keeper *k)
{
	return k && k->fd >= 0;
}

void keeper_held_free(struct keeper_held *held, int n)
{
	for (int i = 0; i < n; i++) {
		fd_close(held[i].pidfd);
		fd_close(held[i].out_fd);
		fd_close(held[i].err_fd);
		fd_close(held[i].sync_fd);
	}
	free(held);
}
