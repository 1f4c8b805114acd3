/* keeper_main.c - the keeper process (see keeper.h). It holds duplicates
 * of each run's pidfd and output pipes; while a supd is connected it only
 * holds them. When no supd is connected (crashed, or re-executing) it reads
 * the pipes into the containers' log files, exactly as supd would, until
 * the next supd connects and takes them back. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "fd.h"
#include "keeper.h"
#include "logfile.h"
#include "logpipe.h"
#include "macro.h"

struct held_run {
	struct keeper_run run;
	char *log_path;
	uint64_t log_max_size;
	int log_keep;
	int fd[4];                   /* pidfd, stdout, stderr, sync (-1 when none) */
	struct logfile log;          /* open while draining */
	struct logpipe_owner pipes;  /* reading while draining */
	bool draining;
};

struct keeper_conn {
	uv_poll_t poll; /* first member; data = the keeper */
	int fd;
};

struct keeper_proc {
	uv_loop_t loop;
	uv_poll_t listen_poll;
	int listen_fd;
	struct keeper_conn *conn; /* the connected supd, NULL when none */
	struct held_run **runs;
	int n_runs, cap_runs;
	struct logpipe_buffer buf;
	struct logfile_set logs; /* the drained runs' log files, a bounded number open */
};

static void run_stop_draining(struct held_run *h)
{
	if (!h->draining)
		return;
	logpipe_flush_close_all(&h->pipes);
	logfile_close(&h->log);
	h->draining = false;
}

static void run_start_draining(struct keeper_proc *k, struct held_run *h)
{
	if (h->draining || h->fd[1] < 0 || logfile_open(&h->log, &k->logs, h->log_path, h->log_max_size, h->log_keep) < 0)
		return;
	struct logpipe_sink sink = { .file = &h->log };
	h->draining = true;
	/* The logpipes own what they read from: give them duplicates, the held
	 * fds stay for the next supd. */
	for (int i = 1; i <= 2; i++) {
		int dup_fd = fcntl(h->fd[i], F_DUPFD_CLOEXEC, 3);
		if (dup_fd >= 0)
			(void)logpipe_open(&k->loop, &k->buf, dup_fd, i == 1 ? "stdout" : "stderr", &h->pipes, &sink);
	}
}

static void run_free(struct held_run *h)
{
	run_stop_draining(h);
	for (int i = 0; i < 4; i++)
		fd_close(h->fd[i]);
	free(h->log_path);
	free(h);
}

/* A run is its process: run ids of runs a crashed supd never committed
 * can come again, a pid with its start time cannot. */
static int find_run(const struct keeper_proc *k, pid_t pid, uint64_t starttime)
{
	for (int i = 0; i < k->n_runs; i++)
		if (k->runs[i]->run.pid == pid && k->runs[i]->run.starttime == starttime)
			return i;
	return -1;
}

static void drop_run(struct keeper_proc *k, int i)
{
	run_free(k->runs[i]);
	k->runs[i] = k->runs[--k->n_runs];
}

static void cmd_hold(struct keeper_proc *k, const char *text, int *fds, int n_fds)
{
	struct keeper_run run;
	long long max_size;
	int keep, off = 0, moff = keeper_run_parse(text + 5, &run);
	if ((n_fds != 1 && n_fds != 3 && n_fds != 4) || moff < 0 || sscanf(text + 5 + moff, " %lld %d %n", &max_size, &keep, &off) != 2 ||
	    !off) {
		for (int i = 0; i < n_fds; i++)
			close(fds[i]);
		return;
	}
	int old = find_run(k, run.pid, run.starttime);
	if (old >= 0)
		drop_run(k, old);
	struct held_run *h = xcalloc(1, sizeof(*h));
	h->run = run;
	h->log_path = xstrdup(text + 5 + moff + off);
	h->log_max_size = (uint64_t)max_size;
	h->log_keep = keep;
	for (int i = 0; i < 4; i++)
		h->fd[i] = i < n_fds ? fds[i] : -1;
	if (k->n_runs == k->cap_runs) {
		k->cap_runs = k->cap_runs ? k->cap_runs * 2 : 64;
		k->runs = xrealloc(k->runs, sizeof(*k->runs) * (size_t)k->cap_runs);
	}
	k->runs[k->n_runs++] = h;
}

static void cmd_take(struct keeper_proc *k)
{
	char msg[KEEPER_MSG_MAX];
	for (int i = 0; i < k->n_runs; i++) {
		struct held_run *h = k->runs[i];
		run_stop_draining(h);
		memcpy(msg, "held ", 5);
		if (keeper_run_format(&h->run, msg + 5, sizeof(msg) - 5) < 0)
			continue;
		if (keeper_send(k->conn->fd, msg, h->fd, h->fd[3] >= 0 ? 4 : h->fd[1] >= 0 ? 3 : 1) < 0)
			return; /* the supd went away again; it will ask anew */
	}
	(void)keeper_send(k->conn->fd, "end", NULL, 0);
}

static void start_draining_all(struct keeper_proc *k)
{
	for (int i = 0; i < k->n_runs; i++)
		run_start_draining(k, k->runs[i]);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct keeper_conn *c = (struct keeper_conn *)h;
	fd_close(c->fd);
	free(c);
}

static void conn_close(struct keeper_proc *k)
{
	if (!k->conn)
		return;
	uv_close((uv_handle_t *)&TAKE_PTR(k->conn)->poll, on_conn_closed);
}

/* Read and act on one message of the connected supd. 1 if there was one,
 * 0 if none is waiting, -1 if the connection ended. */
static int conn_read_one(struct keeper_proc *k)
{
	char text[KEEPER_MSG_MAX];
	int fds[4], n_fds = 0;
	int n = keeper_recv(k->conn->fd, text, sizeof(text), fds, 4, &n_fds);
	if (n == -EAGAIN)
		return 0;
	if (n == -EMSGSIZE)
		return 1;
	if (n <= 0) {
		conn_close(k);
		/* No supd reads the pipes now: the keeper does, so writers neither
		 * block on a full pipe nor lose their output. */
		start_draining_all(k);
		return -1;
	}
	int pid;
	unsigned long long starttime;
	if (!strncmp(text, "hold ", 5)) {
		cmd_hold(k, text, fds, n_fds);
		return 1;
	}
	for (int i = 0; i < n_fds; i++)
		close(fds[i]);
	if (sscanf(text, "drop %d %llu", &pid, &starttime) == 2) {
		int i = find_run(k, pid, starttime);
		if (i >= 0)
			drop_run(k, i);
	} else if (sscanf(text, "released %d %llu", &pid, &starttime) == 2) {
		int i = find_run(k, pid, starttime);
		if (i >= 0)
			k->runs[i]->fd[3] = fd_close(k->runs[i]->fd[3]);
	} else if (!strcmp(text, "take"))
		cmd_take(k);
	else if (!strcmp(text, "quit")) {
		/* Only a supd that stopped every container says so; nothing is held
		 * that anyone still needs. _exit: no atexit work in a forked copy. */
		_exit(0);
	}
	return 1;
}

static void on_conn(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	struct keeper_proc *k = p->data;
	if (k->conn && p == &k->conn->poll)
		(void)conn_read_one(k);
}

static void on_listen(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	struct keeper_proc *k = p->data;
	int fd = accept4(k->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	/* One supd at a time: a newer one replaces one that is gone or stuck.
	 * What the old one sent before it went (drops, holds) still counts:
	 * read it all first, or the new supd would be handed runs that already
	 * ended. */
	if (k->conn) {
		struct keeper_conn *old = k->conn;
		while (k->conn == old && conn_read_one(k) > 0)
			;
	}
	conn_close(k);
	struct keeper_conn *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	if (uv_poll_init(&k->loop, &c->poll, fd) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->poll.data = k;
	k->conn = c;
	uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, on_conn);
}

_Noreturn void keeper_main(int listen_fd)
{
	static struct keeper_proc k;
	/* A keeper forked to replace a lost one inherits supd's libuv signal
	 * handlers, which write to pipes that are not open here: back to the
	 * defaults first. Terminal signals meant for supd's foreground group
	 * are not for it. */
	for (int sig = 1; sig < _NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	setsid();
	prctl(PR_SET_NAME, "supd-keeper");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	k.listen_fd = listen_fd;
	logfile_set_init(&k.logs, 256);
	if (uv_loop_init(&k.loop) < 0)
		_exit(1);
	uv_poll_init(&k.loop, &k.listen_poll, listen_fd);
	k.listen_poll.data = &k;
	uv_poll_start(&k.listen_poll, UV_READABLE, on_listen);
	uv_run(&k.loop, UV_RUN_DEFAULT);
	_exit(0);
}
