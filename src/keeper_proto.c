/* keeper_proto.c - one message each way between supd and its keeper (see
 * keeper.h): a line of text and up to a few fds. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "keeper.h"

#define KEEPER_MAX_FDS 4
/* How long a send may wait for room: the socket's SO_SNDTIMEO does not
 * apply once libuv has made it non-blocking (uv_poll_init does). */
#define KEEPER_SEND_WAIT_MS 5000

int keeper_send(int fd, const char *text, const int *fds, int n_fds)
{
	if (n_fds < 0 || n_fds > KEEPER_MAX_FDS)
		return -EINVAL;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * KEEPER_MAX_FDS)];
	} ctrl;
	memset(&ctrl, 0, sizeof(ctrl));
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (n_fds > 0) {
		msg.msg_control = ctrl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n_fds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n_fds);
	}
	/* A burst (a thousand containers stopping in one loop turn) fills the
	 * socket faster than the keeper reads it: wait for room, up to a
	 * bound, rather than give the connection up on the first EAGAIN. */
	int64_t deadline_ms = -1;
	for (;;) {
		if (sendmsg(fd, &msg, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (deadline_ms < 0)
			deadline_ms = now_ms + KEEPER_SEND_WAIT_MS;
		if (now_ms >= deadline_ms)
			return -EAGAIN;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, (int)(deadline_ms - now_ms)) < 0 && errno != EINTR)
			return -errno;
	}
}

int keeper_recv(int fd, char *buf, size_t size, int *fds, int max_fds, int *ret_n_fds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * KEEPER_MAX_FDS)];
	} ctrl;
	struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl.buf, .msg_controllen = sizeof(ctrl.buf) };
	ssize_t n;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	int got = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		/* The control buffer has room for KEEPER_MAX_FDS; the kernel closes
		 * any beyond (MSG_CTRUNC). */
		int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int in[KEEPER_MAX_FDS];
		if (k > KEEPER_MAX_FDS)
			k = KEEPER_MAX_FDS;
		memcpy(in, CMSG_DATA(c), sizeof(int) * (size_t)k);
		for (int i = 0; i < k; i++) {
			if (got < max_fds)
				fds[got++] = in[i];
			else
				close(in[i]); /* more than asked for: never leak them */
		}
	}
	buf[n] = 0;
	*ret_n_fds = got;
	if ((msg.msg_flags & MSG_TRUNC) != 0) {
		for (int i = 0; i < got; i++)
			close(fds[i]);
		*ret_n_fds = 0;
		return -EMSGSIZE;
	}
	return (int)n;
}

int keeper_run_format(const struct keeper_run *run, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%" PRId64 " %s %d %" PRIu64 " %" PRId64 " %" PRIu64 " %" PRIu64 " %s", run->run_id,
			 run->name, (int)run->pid, run->starttime, run->started_at_ms, run->oom_kill_seen,
			 run->oom_group_kill_seen, run->group);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

int keeper_run_parse(const char *text, struct keeper_run *ret)
{
	struct keeper_run r = { 0 };
	long long id, started;
	unsigned long long st, ok, og;
	int pid, off = 0;
	/* Widths one less than the buffers (KEEPER_NAME_MAX 64, group 68). */
	if (sscanf(text, "%lld %63s %d %llu %lld %llu %llu %67s%n", &id, r.name, &pid, &st, &started, &ok, &og, r.group,
		   &off) != 8 || off <= 0)
		return -EINVAL;
	r.run_id = id;
	r.pid = pid;
	r.starttime = st;
	r.started_at_ms = started;
	r.oom_kill_seen = ok;
	r.oom_group_kill_seen = og;
	*ret = r;
	return off;
}
