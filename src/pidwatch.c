/* pidwatch.c - see pidwatch.h. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "pidwatch.h"
#include "procinfo.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static void on_pidfd_readable(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	struct pidwatch *w = (struct pidwatch *)h; /* poll is the first member */
	(void)pidwatch_check(w);
}

struct pidwatch_exit pidwatch_exit_from_status(int status)
{
	struct pidwatch_exit ex = { .code = -1, .signal = 0 };
	if (WIFEXITED(status))
		ex.code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status)) {
		ex.signal = WTERMSIG(status);
		ex.core_dumped = WCOREDUMP(status);
	} else
		ex.unknown = true;
	return ex;
}

/* Someone else's child: the pidfd is readable once the whole process has
 * exited; its parent reaps it, supd only reads what is left. */
static int check_foreign(struct pidwatch *w, struct pidwatch_exit *ex)
{
	struct pollfd p = { .fd = w->pidfd, .events = POLLIN };
	if (poll(&p, 1, 0) < 0)
		return -errno;
	if (!(p.revents & (POLLIN | POLLHUP)))
		return 0;
	int status;
	if (procinfo_foreign_exit_status(w->pidfd, w->foreign_pid, w->foreign_starttime, &status) == 0)
		*ex = pidwatch_exit_from_status(status);
	else
		*ex = (struct pidwatch_exit){ .code = -1, .unknown = true };
	return 1;
}

int pidwatch_check(struct pidwatch *w)
{
	if (!w->active)
		return 0;
	struct pidwatch_exit ex = { .code = -1, .signal = 0 };
	if (w->foreign_pid > 0) {
		int r = check_foreign(w, &ex);
		if (r <= 0)
			return r;
	} else {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid((idtype_t)P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG) < 0)
			return -errno;
		if (si.si_pid == 0)
			return 0;
		if (si.si_code == CLD_EXITED)
			ex.code = si.si_status;
		else {
			ex.signal = si.si_status;
			ex.core_dumped = si.si_code == CLD_DUMPED;
		}
	}
	w->active = false;
	uv_poll_stop(&w->poll);
	w->on_exit(w, &ex);
	return 1;
}

int pidwatch_start(struct pidwatch *w, uv_loop_t *loop, int pidfd, pidwatch_cb on_exit)
{
	void *data = w->poll.data;
	pid_t foreign_pid = w->foreign_pid;
	uint64_t foreign_starttime = w->foreign_starttime;
	int r = uv_poll_init(loop, &w->poll, pidfd);
	if (r < 0)
		return r;
	w->poll.data = data;
	w->foreign_pid = foreign_pid;
	w->foreign_starttime = foreign_starttime;
	w->pidfd = pidfd;
	w->on_exit = on_exit;
	w->active = true;
	r = uv_poll_start(&w->poll, UV_READABLE, on_pidfd_readable);
	if (r < 0) {
		w->active = false;
		return r;
	}
	return 0;
}

void pidwatch_close(struct pidwatch *w, uv_close_cb close_cb)
{
	w->active = false;
	if (!uv_is_closing((uv_handle_t *)&w->poll))
		uv_close((uv_handle_t *)&w->poll, close_cb);
}
