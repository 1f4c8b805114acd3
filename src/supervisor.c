/* supervisor.c - container state changes (see supervisor.h and the diagram
 * at the top of fsm.c).
 *
 * A run (struct sv_run) is one start of a container: its pid and pidfd, the
 * exec-error pipe and the handles watching them. It is detached from the
 * container when its exit has been recorded and frees itself once libuv
 * has closed its handles, so a restart never waits for handle teardown. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "ctl.h"
#include "daemon.h"
#include "fd.h"
#include "log.h"
#include "logpipe.h"
#include "parse.h"
#include "spawn.h"
#include "store.h"
#include "supervisor.h"

struct sv_run {
	struct container *c;      /* NULL once detached */
	pid_t pid;
	int pidfd;
	uint64_t starttime;       /* /proc/PID/stat starttime, ticks since boot */
	int64_t id;               /* runs.id */
	int64_t started_at_ms;
	struct pidwatch pw;       /* pw.poll.data = run */
	uv_poll_t errpoll;        /* exec-error pipe */
	int err_fd;
	bool exec_resolved;       /* errpipe gave EOF or a report */
	bool has_failure;
	struct child_report failure;
	struct pidwatch_exit exit;  /* valid once the pidwatch reported */
	bool pw_inited, err_inited; /* which handles need uv_close */
	int open_handles;
};

static void sv_enter_starting(struct container *c);
static void sv_enter_ended(struct container *c, const struct pidwatch_exit *ex);
static void notify_waiters(struct container *c);

pid_t sv_pid(const struct container *c)
{
	return c->run ? c->run->pid : 0;
}

static void sv_set_state(struct container *c, enum sv_state s)
{
	c->state = s;
	c->state_since_ms = daemon_now_ms();
	int r = store_set_state(c->d->store, c->cfg->name, sv_state_to_string(s), c->state_since_ms);
	if (r < 0)
		log_warning("container '%s': recording state %s: %s, ignoring", c->cfg->name, sv_state_to_string(s), strerror(-r));
}

static void record_event(struct container *c, const char *type, const char *fmt, ...) _printf_(3, 4);
static void record_event(struct container *c, const char *type, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	int r = store_event(c->d->store, daemon_now_ms(), c->cfg->name, type, detail);
	if (r < 0)
		log_warning("container '%s': recording event %s: %s, ignoring", c->cfg->name, type, strerror(-r));
}

#ifndef NDEBUG
static void sv_assert_invariants(const struct container *c)
{
	if (sv_state_has_process(c->state)) {
		assert(c->run && c->run->pid > 0 && c->run->pidfd >= 0);
	} else {
		assert(!c->run);
	}
	if ((c->state == SV_STOPPING && !c->kill_sent) || c->state == SV_BACKOFF)
		assert(uv_is_active((const uv_handle_t *)&c->timer));
}
#else
static void sv_assert_invariants(const struct container *c) { (void)c; }
#endif

/* --- runs --- */

static void on_run_handle_closed(uv_handle_t *h)
{
	struct sv_run *run = h->data;
	if (--run->open_handles == 0)
		free(run);
}

/* Detach the run from its container and let it free itself. */
static void run_release(struct container *c)
{
	struct sv_run *run = c->run;
	if (!run)
		return;
	ctable_set_pid(&c->d->table, &c->link, 0);
	c->run = NULL;
	run->c = NULL;
	run->pidfd = fd_close(run->pidfd);
	run->err_fd = fd_close(run->err_fd);
	if (run->pw_inited) {
		run->open_handles++;
		pidwatch_close(&run->pw, on_run_handle_closed);
	}
	if (run->err_inited) {
		run->open_handles++;
		uv_close((uv_handle_t *)&run->errpoll, on_run_handle_closed);
	}
	if (run->open_handles == 0)
		free(run);
}

/* Read the child's report: a struct child_report means setup failed at
 * that step; EOF means execve succeeded and closed the pipe. */
static int run_read_errpipe(struct sv_run *run)
{
	struct child_report rep;
	ssize_t n = read(run->err_fd, &rep, sizeof(rep));
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	run->exec_resolved = true;
	uv_poll_stop(&run->errpoll);
	if (n == (ssize_t)sizeof(rep)) {
		run->has_failure = true;
		run->failure = rep;
		return 1;
	}
	return 2; /* EOF (or a torn report, which only a dying child leaves) */
}

static void on_errpipe(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	struct sv_run *run = h->data;
	struct container *c = run->c;
	int r = run_read_errpipe(run);
	if (!c || r == 0)
		return;
	if (r < 0) {
		log_warning("container '%s': reading exec status: %s, ignoring", c->cfg->name, strerror(-r));
		return;
	}
	sv_handle_event(c, r == 1 ? SV_EV_EXEC_FAILED : SV_EV_EXEC_OK);
}

static void on_pid_exit(struct pidwatch *w, const struct pidwatch_exit *ex)
{
	struct sv_run *run = w->poll.data;
	struct container *c = run->c;
	if (!c)
		return;
	/* The exec outcome must be known before the exit is classified: the
	 * pidfd can become readable before the error pipe is read. A pipe
	 * still empty now (EAGAIN: another child briefly holds its write end)
	 * means no report was written, so the command did run. */
	if (!run->exec_resolved && run_read_errpipe(run) == 1)
		sv_handle_event(c, SV_EV_EXEC_FAILED);
	else if (!run->has_failure && c->state == SV_STARTING)
		sv_handle_event(c, SV_EV_EXEC_OK);
	assert(c->run == run);
	run->exit = *ex; /* read by RECORD_EXIT */
	sv_handle_event(c, SV_EV_EXIT);
}

int sv_check_exit(struct container *c)
{
	return c->run ? pidwatch_check(&c->run->pw) : 0;
}

/* --- entering states --- */

static void format_failure(const struct sv_run *run, const struct container_config *cfg, char *buf, size_t size)
{
	const char *step = child_step_to_string((enum child_step)run->failure.step);
	if (run->failure.step == CHILD_STEP_EXECVE)
		snprintf(buf, size, "%s %s: %s", step, cfg->argv[0], strerror(run->failure.error));
	else
		snprintf(buf, size, "%s: %s", step, strerror(run->failure.error));
}

static void format_exit(const struct pidwatch_exit *ex, char *buf, size_t size)
{
	if (ex->signal) {
		const char *name = signal_to_name(ex->signal);
		if (name)
			snprintf(buf, size, "killed(SIG%s)%s", name, ex->core_dumped ? " core dumped" : "");
		else
			snprintf(buf, size, "killed(%d)%s", ex->signal, ex->core_dumped ? " core dumped" : "");
	} else
		snprintf(buf, size, "exited(%d)", ex->code);
}

/* A start that failed before any process existed (pipes, clone3). */
static void sv_enter_failed_spawn(struct container *c, const char *reason)
{
	int64_t now = daemon_now_ms(), run_id = 0;
	log_error("container '%s': start failed: %s", c->cfg->name, reason);
	struct store_run_end end = { .ended_at_ms = now, .exit_code = -1, .reason = reason, .state = "failed" };
	if (store_run_begin(c->d->store, c->cfg->name, 0, 0, NULL, "starting", now, &run_id) == 0)
		store_run_end(c->d->store, c->cfg->name, run_id, &end);
	record_event(c, "start-failed", "%s", reason);
	sv_set_state(c, SV_FAILED);
	notify_waiters(c);
	daemon_container_settled(c->d);
}

static void sv_enter_starting(struct container *c)
{
	struct supd *d = c->d;
	struct sup_err err = { 0 };
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	char reason[sizeof(err.msg) + 64];

	c->stop_requested = false;
	c->kill_sent = false;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(reason, sizeof(reason), "pipe: %s", strerror(errno));
		goto fail;
	}
	struct spawn_request req = {
		.cfg = c->cfg,
		.envp = c->envp,
		.stdin_fd = d->devnull_fd,
		.stdout_fd = out[1],
		.stderr_fd = errp[1],
		.cgroup_fd = -1,
	};
	struct spawn_child child;
	if (spawn_clone(&req, &child, &err) < 0) {
		snprintf(reason, sizeof(reason), "%s", err.msg);
		goto fail;
	}
	out[1] = fd_close(out[1]);
	errp[1] = fd_close(errp[1]);
	/* The log pipes belong to their logpipe from here on. */
	if (logpipe_open(&d->loop, d->logbuf, TAKE_FD(out[0]), c->log_fd, NULL) < 0 ||
	    logpipe_open(&d->loop, d->logbuf, TAKE_FD(errp[0]), c->log_fd, NULL) < 0)
		log_warning("container '%s': cannot read its output, it goes nowhere, ignoring", c->cfg->name);

	struct sv_run *run = xcalloc(1, sizeof(*run));
	run->c = c;
	run->pid = child.pid;
	run->pidfd = child.pidfd;
	run->err_fd = child.err_fd;
	run->starttime = child.starttime;
	run->started_at_ms = daemon_now_ms();
	c->run = run;
	ctable_set_pid(&d->table, &c->link, run->pid);

	int r = store_run_begin(d->store, c->cfg->name, run->pid, run->starttime, NULL, "starting", run->started_at_ms, &run->id);
	if (r < 0)
		log_warning("container '%s': recording run start: %s, ignoring", c->cfg->name, strerror(-r));

	run->pw.poll.data = run;
	r = pidwatch_start(&run->pw, &d->loop, run->pidfd, on_pid_exit);
	run->pw_inited = r == 0;
	if (r == 0) {
		r = uv_poll_init(&d->loop, &run->errpoll, run->err_fd);
		run->err_inited = r == 0;
		run->errpoll.data = run;
	}
	if (r == 0)
		r = uv_poll_start(&run->errpoll, UV_READABLE, on_errpipe);
	if (r < 0) {
		/* Without a watch we would never learn of its exit: do not let it run. */
		log_error("container '%s': watching pid %d: %s", c->cfg->name, run->pid, uv_strerror(r));
		spawn_release(&child, 0);
	} else
		spawn_release(&child, 1);
	c->state = SV_STARTING; /* sv_set_state would write the row run_begin just wrote */
	c->state_since_ms = run->started_at_ms;
	log_debug("container '%s': cloned pid %d", c->cfg->name, run->pid);
	return;
fail:
	fd_close(out[0]);
	fd_close(out[1]);
	fd_close(errp[0]);
	fd_close(errp[1]);
	sv_enter_failed_spawn(c, reason);
}

static void sv_enter_running(struct container *c)
{
	sv_set_state(c, SV_RUNNING);
	record_event(c, "started", "pid %d", c->run->pid);
	log_info("container '%s': running, pid %d", c->cfg->name, c->run->pid);
	notify_waiters(c);
}

static void on_stop_timeout(uv_timer_t *t)
{
	sv_handle_event(t->data, SV_EV_STOP_TIMEOUT);
}

static int send_signal(struct container *c, int sig)
{
	if (syscall(SYS_pidfd_send_signal, c->run->pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
		return -errno;
	return 0;
}

static void sv_enter_stopping(struct container *c)
{
	c->stop_requested = true;
	int r = send_signal(c, c->cfg->stop_signal);
	if (r < 0)
		log_warning("container '%s': sending SIG%s: %s, ignoring", c->cfg->name, signal_to_name(c->cfg->stop_signal), strerror(-r));
	uv_timer_start(&c->timer, on_stop_timeout, c->cfg->stop_timeout_ms, 0);
	sv_set_state(c, SV_STOPPING);
	record_event(c, "stopping", "SIG%s, SIGKILL after %llu ms", signal_to_name(c->cfg->stop_signal),
		     (unsigned long long)c->cfg->stop_timeout_ms);
}

static void sv_kill_all(struct container *c)
{
	/* SIGKILL to PID 1 of the container's pid namespace: the kernel then
	 * kills every other process in it. */
	int r = send_signal(c, SIGKILL);
	c->kill_sent = true;
	if (r < 0)
		log_warning("container '%s': SIGKILL: %s, ignoring", c->cfg->name, strerror(-r));
	record_event(c, "stop-timeout", "still running after %llu ms, sent SIGKILL", (unsigned long long)c->cfg->stop_timeout_ms);
}

/* The run's process is gone: record how, and settle. */
static void sv_enter_ended(struct container *c, const struct pidwatch_exit *ex)
{
	struct sv_run *run = c->run;
	char reason[512];
	enum sv_state next;

	uv_timer_stop(&c->timer);
	if (run->has_failure) {
		format_failure(run, c->cfg, reason, sizeof(reason));
		next = SV_FAILED;
		log_error("container '%s': start failed: %s", c->cfg->name, reason);
		record_event(c, "start-failed", "%s", reason);
	} else {
		format_exit(ex, reason, sizeof(reason));
		next = c->stop_requested ? SV_STOPPED : SV_EXITED;
		log_info("container '%s': pid %d %s", c->cfg->name, run->pid, reason);
		record_event(c, next == SV_STOPPED ? "stopped" : "exited", "pid %d %s", run->pid, reason);
	}
	struct store_run_end end = {
		.ended_at_ms = daemon_now_ms(),
		.exit_code = ex->signal ? -1 : ex->code,
		.signal = ex->signal,
		.oom_killed = false,
		.reason = reason,
		.state = sv_state_to_string(next),
	};
	int r = store_run_end(c->d->store, c->cfg->name, run->id, &end);
	if (r < 0)
		log_warning("container '%s': recording run end: %s, ignoring", c->cfg->name, strerror(-r));
	run_release(c);
	c->state = next;
	c->state_since_ms = end.ended_at_ms;
	notify_waiters(c);
	daemon_container_settled(c->d);
}

/* --- control clients waiting for a result --- */

static void reply_waiter(struct container *c, struct sv_waiter *w)
{
	if (w->kind == SV_WAIT_START && c->state == SV_RUNNING)
		ctl_reply(w->client, true, "%s running pid %d", c->cfg->name, c->run->pid);
	else if (w->kind == SV_WAIT_START) {
		char last[512] = "";
		struct store_container row;
		if (store_get_container(c->d->store, c->cfg->name, &row) == 0)
			snprintf(last, sizeof(last), ": %s", row.last_reason);
		ctl_reply(w->client, false, "container '%s' did not start (%s%s)", c->cfg->name, sv_state_to_string(c->state), last);
	} else
		ctl_reply(w->client, true, "%s %s", c->cfg->name, sv_state_to_string(c->state));
}

static bool waiter_is_done(const struct container *c, const struct sv_waiter *w)
{
	if (w->kind == SV_WAIT_START)
		return c->state != SV_STARTING && c->state != SV_BACKOFF;
	return sv_state_is_settled(c->state);
}

static void notify_waiters(struct container *c)
{
	struct sv_waiter **pp = &c->waiters, *restart_now = NULL;
	while (*pp) {
		struct sv_waiter *w = *pp;
		if (!waiter_is_done(c, w)) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		if (w->kind == SV_WAIT_RESTART) {
			/* The stop half is done: now wait for the start half. */
			w->kind = SV_WAIT_START;
			w->next = restart_now;
			restart_now = w;
			continue;
		}
		ctl_client_set_data(w->client, NULL);
		reply_waiter(c, w);
		free(w);
	}
	if (restart_now) {
		struct sv_waiter *last = restart_now;
		while (last->next)
			last = last->next;
		last->next = c->waiters;
		c->waiters = restart_now;
		sv_handle_event(c, SV_EV_START);
	}
}

void sv_request(struct container *c, struct ctl_client *cl, enum sv_wait kind)
{
	if (c->d->shutting_down) {
		ctl_reply(cl, false, "supd is shutting down");
		return;
	}
	if (kind == SV_WAIT_START && c->state == SV_STOPPING) {
		ctl_reply(cl, false, "container '%s' is stopping; wait for it, then start it", c->cfg->name);
		return;
	}
	struct sv_waiter *w = xcalloc(1, sizeof(*w));
	w->client = cl;
	w->kind = kind;
	w->next = c->waiters;
	c->waiters = w;
	ctl_client_set_data(cl, c);
	sv_handle_event(c, kind == SV_WAIT_START ? SV_EV_START : SV_EV_STOP);
	/* Already where the request wants it (start of a running container,
	 * stop of a stopped one): answer now. */
	notify_waiters(c);
}

void sv_forget_client(struct container *c, struct ctl_client *cl)
{
	for (struct sv_waiter **pp = &c->waiters; *pp; pp = &(*pp)->next)
		if ((*pp)->client == cl) {
			struct sv_waiter *w = *pp;
			*pp = w->next;
			free(w);
			return;
		}
}

/* --- the state machine --- */

void sv_handle_event(struct container *c, enum sv_event ev)
{
	enum sv_action act = fsm_action(c->state, ev);
	log_debug("container '%s': %s + %s -> %s", c->cfg->name, sv_state_to_string(c->state), sv_event_to_string(ev),
		  sv_action_to_string(act));
	switch (act) {
	case SV_ACT_NONE:
	case SV_ACT_REJECT:
		break;
	case SV_ACT_SPAWN:
		uv_timer_stop(&c->timer);
		sv_enter_starting(c);
		break;
	case SV_ACT_MARK_RUNNING:
		sv_enter_running(c);
		break;
	case SV_ACT_NOTE_FAILURE:
		/* The child exits right after reporting; its exit completes the run. */
		break;
	case SV_ACT_SEND_STOP:
		sv_enter_stopping(c);
		break;
	case SV_ACT_SEND_KILL:
		sv_kill_all(c);
		break;
	case SV_ACT_RECORD_EXIT:
		sv_enter_ended(c, &c->run->exit);
		break;
	case SV_ACT_RECORD_OOM:
		break;
	case SV_ACT_CANCEL_RESTART:
		uv_timer_stop(&c->timer);
		sv_set_state(c, SV_STOPPED);
		record_event(c, "stopped", "restart cancelled");
		notify_waiters(c);
		daemon_container_settled(c->d);
		break;
	case _SV_ACTION_MAX:
		assert(false);
	}
	sv_assert_invariants(c);
}

/* --- lifetime --- */

int sv_container_new(struct supd *d, const struct container_config *cfg, struct container **ret, struct sup_err *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.log", d->config->supd.log_dir, cfg->name);
	int log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (log_fd < 0)
		return sup_err_set(err, -errno, "container '%s': log file %s: %s", cfg->name, path, strerror(errno));
	struct container *c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->cfg = cfg;
	c->link.name = cfg->name;
	c->envp = spawn_build_env(cfg);
	c->log_fd = log_fd;
	c->state = SV_STOPPED;
	c->state_since_ms = daemon_now_ms();
	uv_timer_init(&d->loop, &c->timer);
	c->timer.data = c;
	ctable_add(&d->table, &c->link);
	*ret = c;
	return 0;
}

static void on_container_timer_closed(uv_handle_t *h)
{
	struct container *c = h->data;
	free(c->envp);
	free(c);
}

void sv_container_free(struct container *c)
{
	if (!c)
		return;
	assert(!c->run && !c->waiters);
	ctable_remove(&c->d->table, &c->link);
	c->log_fd = fd_close(c->log_fd);
	uv_close((uv_handle_t *)&c->timer, on_container_timer_closed);
}
