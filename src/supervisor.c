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
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "child.h"
#include "ctl.h"
#include "daemon.h"
#include "fd.h"
#include "keeper.h"
#include "log.h"
#include "logpipe.h"
#include "metrics.h"
#include "oomwatch.h"
#include "parse.h"
#include "restart.h"
#include "spawn.h"
#include "store.h"
#include "supervisor.h"
#include "supervisor-internal.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct sv_run {
	struct container *c;      /* NULL once detached */
	struct supd *d;
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
	struct cgroup *cg;          /* the run's cgroup, created for it and removed after it */
	struct oomwatch *oom;       /* memory.events / eventfd watch of cg */
	uint64_t oom_kill_seen;     /* cg's oom_kill counter when last read */
	uint64_t oom_group_kill_seen; /* and its oom_group_kill counter */
	uint64_t oom_kills;         /* OOM kills counted in this run */
	uv_timer_t oom_recheck;     /* re-read shortly after a notification that showed no kill yet */
	unsigned oom_recheck_ms;    /* next re-read delay, doubled up to OOM_RECHECK_MAX_MS */
	bool oom_early;             /* the notification can precede the count (v1): recheck */
	bool oom_timer_inited;
	bool pw_inited, err_inited; /* which handles need uv_close */
	int open_handles;
};

static void sv_enter_starting(struct container *c);
static void sv_enter_ended(struct container *c, const struct pidwatch_exit *ex);
static void on_stop_timeout(uv_timer_t *t);

pid_t sv_pid(const struct container *c)
{
	return c->run ? c->run->pid : 0;
}

int sv_memory_current(struct container *c, uint64_t *ret)
{
	if (!c->run || !c->run->cg)
		return -ESRCH;
	return cgroup_manager_ops(c->d->cgroups)->memory_current(c->run->cg, ret);
}

/* "SIGTERM", or "signal 40" for one without a name. */
static const char *signal_label(int sig, char *buf, size_t size)
{
	const char *name = signal_to_name(sig);
	if (name)
		snprintf(buf, size, "SIG%s", name);
	else
		snprintf(buf, size, "signal %d", sig);
	return buf;
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
	/* Every change a metric shows comes with an event. */
	metrics_changed(c->d);
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

/* --- cgroups and OOM kills --- */

static const struct cgroup_ops *cg_ops(const struct container *c)
{
	return cgroup_manager_ops(c->d->cgroups);
}

/* Every process of the run is gone first (the pid namespace's init took
 * the others with it, but a process that joined the cgroup from outside
 * would not be), then the group is removed. */
static void sv_cgroup_teardown(struct container *c, struct cgroup *cg)
{
	const struct cgroup_ops *ops = cg_ops(c);
	int r = ops->kill_all(cg);
	if (r < 0)
		log_warning("container '%s': emptying cgroup %s: %s, ignoring", c->cfg->name, ops->path(cg), strerror(-r));
	r = ops->destroy(cg);
	if (r < 0)
		log_warning("container '%s': removing cgroup %s: %s, ignoring", c->cfg->name, ops->path(cg), strerror(-r));
	ops->free(cg);
}

/* Re-read the run's OOM counter and record any rise, once: the notification
 * and the exit both come here, in whichever order the kernel delivers
 * them. Returns the counter's rise. */
static uint64_t sv_account_oom(struct container *c, struct sv_run *run)
{
	struct cgroup_oom_counts now;
	int r = cg_ops(c)->read_oom(run->cg, &now);
	if (r < 0) {
		log_warning("container '%s': reading OOM counters of %s: %s, ignoring", c->cfg->name,
			    cg_ops(c)->path(run->cg), strerror(-r));
		return 0;
	}
	if (now.oom_kill <= run->oom_kill_seen)
		return 0;
	uint64_t delta = now.oom_kill - run->oom_kill_seen;
	uint64_t group_delta = now.oom_group_kill - run->oom_group_kill_seen;
	run->oom_kill_seen = now.oom_kill;
	run->oom_group_kill_seen = now.oom_group_kill;
	/* A group kill (memory.oom.group) counts its victim twice in oom_kill:
	 * once as the chosen victim, once more while killing every member. One
	 * process killed must count once. */
	if (group_delta > 0 && delta > group_delta)
		delta -= group_delta;
	run->oom_kills += delta;
	char detail[256];
	snprintf(detail, sizeof(detail), "%llu process(es) killed; cgroup %s oom_kill %llu oom %llu oom_group_kill %llu",
		 (unsigned long long)delta, cg_ops(c)->path(run->cg), (unsigned long long)now.oom_kill,
		 (unsigned long long)now.oom, (unsigned long long)now.oom_group_kill);
	log_notice("container '%s': OOM kill: %s", c->cfg->name, detail);
	r = store_record_oom(c->d->store, c->cfg->name, run->id, (int64_t)delta, daemon_now_ms(), detail);
	if (r == 0)
		r = store_run_set_oom_seen(c->d->store, c->cfg->name, run->id, run->oom_kill_seen, run->oom_group_kill_seen);
	if (r < 0)
		log_warning("container '%s': recording OOM kill: %s, ignoring", c->cfg->name, strerror(-r));
	metrics_changed(c->d);
	return delta;
}

static void on_oom_recheck(uv_timer_t *t);

/* v1 signals the eventfd when the group enters OOM, before the OOM killer
 * has picked and counted its victim, so the first read can show no rise
 * yet. Re-read a few times over about half a second after such an empty
 * notification: a timer that runs only during an OOM episode, never idle. */
#define OOM_RECHECK_FIRST_MS 1
#define OOM_RECHECK_MAX_MS 256

static void sv_check_oom(struct sv_run *run)
{
	struct container *c = run->c;
	if (!c || !run->cg)
		return;
	if (sv_account_oom(c, run) > 0) {
		run->oom_recheck_ms = 0;
		uv_timer_stop(&run->oom_recheck);
		sv_handle_event(c, SV_EV_OOM);
		return;
	}
	if (!run->oom_early)
		return; /* v2: 'max' and 'high' changes come often near the limit; no kill, nothing to wait for */
	if (run->oom_recheck_ms == 0)
		run->oom_recheck_ms = OOM_RECHECK_FIRST_MS;
	else if (run->oom_recheck_ms >= OOM_RECHECK_MAX_MS) {
		run->oom_recheck_ms = 0; /* a limit hit without a kill (or a v2 'max' event) */
		return;
	} else
		run->oom_recheck_ms *= 2;
	uv_timer_start(&run->oom_recheck, on_oom_recheck, run->oom_recheck_ms, 0);
}

static void on_oom_recheck(uv_timer_t *t)
{
	sv_check_oom(t->data);
}

static void on_oom_notify(void *data)
{
	struct sv_run *run = data;
	struct container *c = run->c;
	if (!c || !run->cg)
		return;
	log_debug("container '%s': OOM notification", c->cfg->name);
	/* v1: the eventfd also fires when the group is removed. */
	if (cg_ops(c)->is_removed(run->cg))
		return;
	run->oom_recheck_ms = 0;
	sv_check_oom(run);
}

/* --- runs --- */

static void on_run_handle_closed(uv_handle_t *h)
{
	struct sv_run *run = h->data;
	/* The exec-error pipe's handle closes while its run lives on. */
	if (--run->open_handles == 0 && !run->c)
		free(run);
}

/* The exec-error pipe has said all it will (or the run is over): close it
 * now rather than at the run's end, one fd less per running container. The
 * handle first, so libuv drops the fd from epoll while the number is still
 * ours. */
static void run_close_errpipe(struct sv_run *run)
{
	if (run->err_inited) {
		run->err_inited = false;
		run->open_handles++;
		uv_close((uv_handle_t *)&run->errpoll, on_run_handle_closed);
	}
	if (run->err_fd >= 0) {
		run->err_fd = fd_close(run->err_fd);
		daemon_exec_resolved(run->d);
	}
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
	if (run->pidfd >= 0)
		daemon_keeper_drop(c->d, run->pid, run->starttime);
	oomwatch_close(run->oom);
	run->oom = NULL;
	if (run->cg)
		sv_cgroup_teardown(c, run->cg);
	run->cg = NULL;
	run->pidfd = fd_close(run->pidfd);
	run_close_errpipe(run);
	if (run->pw_inited) {
		run->open_handles++;
		pidwatch_close(&run->pw, on_run_handle_closed);
	}
	if (run->oom_timer_inited) {
		run->open_handles++;
		uv_close((uv_handle_t *)&run->oom_recheck, on_run_handle_closed);
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
	run_close_errpipe(run);
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
	if (ex->unknown)
		snprintf(buf, size, "unknown (supervisor was down)");
	else if (ex->signal) {
		char sig[32];
		snprintf(buf, size, "killed(%s)%s", signal_label(ex->signal, sig, sizeof(sig)), ex->core_dumped ? " core dumped" : "");
	} else
		snprintf(buf, size, "exited(%d)", ex->code);
}

/* A container's runs alternate between two group names, so that a spare
 * for the next run can sit in its own group while the current run lives. */
static const char *group_name(const struct container *c, bool alt, char *buf, size_t size)
{
	if (!alt)
		return c->cfg->name;
	snprintf(buf, size, "%s@1", c->cfg->name); /* '@' is not allowed in container names */
	return buf;
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
	sv_notify_waiters(c);
	daemon_container_settled(c->d, c);
}

/* A child cloned into its namespaces and cgroup, parked before setup until
 * released: the first half of a start. */
struct sv_prepared {
	struct spawn_child child;
	struct cgroup *cg;
	int out_fd, err_fd; /* read ends of its stdout/stderr pipes */
	bool alt;           /* its group has the alternate name (see group_name) */
	bool has_oom_base;  /* oom_base was read when the group was made */
	struct cgroup_oom_counts oom_base;
};

static void prepared_discard(struct container *c, struct sv_prepared *p)
{
	/* The parked child holds nothing but a place in its cgroup; end and reap
	 * it here, so the group is empty for rmdir. It dies at once (at most it
	 * finishes its cgroup move first), so the wait is short. */
	spawn_release(&p->child, 0);
	if (syscall(SYS_pidfd_send_signal, p->child.pidfd, SIGKILL, NULL, 0) == 0 || errno == ESRCH) {
		siginfo_t si;
		while (waitid((idtype_t)P_PIDFD, (id_t)p->child.pidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
	}
	p->child.pidfd = fd_close(p->child.pidfd);
	p->child.err_fd = fd_close(p->child.err_fd);
	p->out_fd = fd_close(p->out_fd);
	p->err_fd = fd_close(p->err_fd);
	if (p->cg)
		sv_cgroup_teardown(c, p->cg);
	p->cg = NULL;
}

/* Create the group and clone the child into it (v2) or have it move itself
 * in (v1). 0, or -errno with reason filled. */
static int sv_prepare(struct container *c, bool alt, struct sv_prepared *ret, char *reason, size_t size)
{
	struct supd *d = c->d;
	const struct cgroup_ops *ops = cg_ops(c);
	struct sup_err err = { 0 };
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, attach[CHILD_MAX_ATTACH_FDS], n_attach = 0, r;
	struct cgroup *cg = NULL;
	char name[160];

	struct cgroup_limits lim = {
		.memory_max = c->cfg->memory_max,
		.cpu_millis = c->cfg->cpu_max,
		.pids_max = c->cfg->pids_max,
		.oom_group = c->cfg->oom_policy == OOM_POLICY_KILL,
	};
	int init_fd = -1;
	if (c->cfg->init && (init_fd = daemon_init_fd(d, &err)) < 0) {
		r = init_fd;
		snprintf(reason, size, "init: %s", err.msg);
		goto fail;
	}
	if ((r = ops->create(d->cgroups, group_name(c, alt, name, sizeof(name)), &lim, &cg, &err)) < 0) {
		snprintf(reason, size, "%s", err.msg);
		goto fail;
	}
	/* The OOM baseline, then the registration for OOM notifications
	 * (sv_watch_run only starts watching it): here, before the child
	 * exists, so for a spare both are done long before its release. Each
	 * opens memory.oom_control on v1, which can wait milliseconds behind
	 * the removal of the previous run's group: not on a restart's path. */
	ret->has_oom_base = ops->read_oom(cg, &ret->oom_base) == 0;
	struct cgroup_oom_source oom_src;
	(void)ops->oom_source(cg, &oom_src); /* a failure is reported by sv_watch_run */
	if ((n_attach = ops->procs_fds(cg, attach, CHILD_MAX_ATTACH_FDS)) < 0) {
		r = n_attach;
		n_attach = 0;
		snprintf(reason, size, "cgroup %s: opening cgroup.procs: %s", ops->path(cg), strerror(-r));
		goto fail;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(reason, size, "pipe: %s", strerror(errno));
		goto fail;
	}
	struct spawn_request req = {
		.cfg = c->cfg,
		.envp = c->envp,
		.seccomp = c->cfg->seccomp == SECCOMP_POLICY_DEFAULT ? d->seccomp : NULL,
		.stdin_fd = d->devnull_fd,
		.stdout_fd = out[1],
		.stderr_fd = errp[1],
		.cgroup_fd = ops->clone_fd(cg),
		.attach_fds = attach,
		.n_attach_fds = n_attach,
		.init_fd = init_fd,
	};
	if ((r = spawn_clone(&req, &ret->child, &err)) < 0) {
		snprintf(reason, size, "%s", err.msg);
		goto fail;
	}
	for (int i = 0; i < n_attach; i++)
		close(attach[i]);
	fd_close(out[1]);
	fd_close(errp[1]);
	ret->cg = cg;
	ret->out_fd = out[0];
	ret->err_fd = errp[0];
	ret->alt = alt;
	return 0;
fail:
	for (int i = 0; i < n_attach; i++)
		close(attach[i]);
	fd_close(out[0]);
	fd_close(out[1]);
	fd_close(errp[0]);
	fd_close(errp[1]);
	if (cg)
		sv_cgroup_teardown(c, cg);
	return r;
}

/* A parked spare is usable if its child still waits (not killed meanwhile). */
static bool spare_is_alive(const struct sv_prepared *p)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	return waitid((idtype_t)P_PIDFD, (id_t)p->child.pidfd, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0;
}

/* A full disk (or any failing log write) drops output instead of blocking
 * the container; the event log says when it began and how much was lost. */
static void on_log_drop(void *data, int error, uint64_t dropped)
{
	struct container *c = data;
	if (error < 0) {
		log_warning("container '%s': writing %s: %s; dropping its output until writes succeed", c->cfg->name,
			    c->log.path, strerror(-error));
		record_event(c, "log-dropping", "%s: %s", c->log.path, strerror(-error));
	} else {
		log_notice("container '%s': writing %s again; %llu bytes of output were dropped", c->cfg->name, c->log.path,
			   (unsigned long long)dropped);
		record_event(c, "log-resumed", "%llu bytes dropped", (unsigned long long)dropped);
	}
}

/* The keeper gets duplicates of the run's pidfd and pipes, and the run's
 * facts, so that a crash or re-exec of supd loses neither (see keeper.h).
 * Sent before the child is released, with its release pipe: a crash in
 * between leaves it parked for the next supd to release. */
static void sv_keeper_hold(struct container *c, struct sv_run *run, int out_fd, int err_fd, int sync_fd)
{
	struct supd *d = c->d;
	if (run->id <= 0 || run->pidfd < 0 || !keeper_is_connected(d->keeper))
		return;
	struct keeper_run kr = {
		.run_id = run->id,
		.pid = run->pid,
		.starttime = run->starttime,
		.started_at_ms = run->started_at_ms,
		.oom_kill_seen = run->oom_kill_seen,
		.oom_group_kill_seen = run->oom_group_kill_seen,
	};
	snprintf(kr.name, sizeof(kr.name), "%s", c->cfg->name);
	char alt[sizeof(kr.group)];
	snprintf(kr.group, sizeof(kr.group), "%s", group_name(c, c->run_alt, alt, sizeof(alt)));
	int r = keeper_hold(d->keeper, &kr, c->log.path, d->config->supd.log_max_size, (int)d->config->supd.log_keep,
			    run->pidfd, out_fd, err_fd, sync_fd);
	if (r < 0)
		log_warning("fd keeper: %s; a crash of supd would now lose the output pipes of running containers",
			    strerror(-r));
}

/* The log pipes belong to their logpipe from here on. */
static void sv_read_output(struct container *c, int out_fd, int err_fd)
{
	struct supd *d = c->d;
	struct logpipe_sink sink = { .file = &c->log, .on_drop = on_log_drop, .data = c };
	int r = 0;
	if (out_fd >= 0)
		r = logpipe_open(&d->loop, d->logbuf, out_fd, "stdout", &c->pipes, &sink);
	if (err_fd >= 0 && r == 0)
		r = logpipe_open(&d->loop, d->logbuf, err_fd, "stderr", &c->pipes, &sink);
	else
		fd_close(err_fd);
	if (r < 0)
		log_warning("container '%s': cannot read its output, it goes nowhere, ignoring", c->cfg->name);
}

/* OOM notifications for the run's group (a missing watch only delays the
 * count until the exit). */
static void sv_watch_run(struct container *c, struct sv_run *run)
{
	struct supd *d = c->d;
	const struct cgroup_ops *ops = cg_ops(c);
	uv_timer_init(&d->loop, &run->oom_recheck);
	run->oom_recheck.data = run;
	run->oom_timer_inited = true;
	if (!run->cg)
		return;
	struct cgroup_oom_source src;
	int r = ops->oom_source(run->cg, &src);
	if (r == 0)
		run->oom_early = src.early;
	if (r < 0 || (r = oomwatch_start(&d->oomwatches, &src, on_oom_notify, run, &run->oom)) < 0)
		log_warning("container '%s': no OOM notifications for %s (%s); OOM kills are still counted at exit",
			    c->cfg->name, ops->path(run->cg), strerror(-r)); /* libuv codes are -errno on Unix */
}

/* Without a watch supd would never learn of the exit: false then, and the
 * caller must not let the process run. */
static bool sv_start_pidwatch(struct container *c, struct sv_run *run)
{
	run->pw.poll.data = run;
	int r = pidwatch_start(&run->pw, &c->d->loop, run->pidfd, on_pid_exit);
	run->pw_inited = r == 0;
	if (r < 0)
		log_error("container '%s': watching pid %d: %s", c->cfg->name, run->pid, uv_strerror(r));
	return r == 0;
}

/* Second half of a start: the run's bookkeeping and watches, then the go. */
static void sv_launch(struct container *c, struct sv_prepared *p)
{
	struct supd *d = c->d;
	const struct cgroup_ops *ops = cg_ops(c);
	int r;

	struct sv_run *run = xcalloc(1, sizeof(*run));
	run->c = c;
	run->pid = p->child.pid;
	run->pidfd = p->child.pidfd;
	run->err_fd = p->child.err_fd;
	run->d = d;
	d->n_exec_pending++;
	run->starttime = p->child.starttime;
	run->started_at_ms = daemon_now_ms();
	run->cg = TAKE_PTR(p->cg);
	c->run = run;
	c->run_alt = p->alt;
	ctable_set_pid(&d->table, &c->link, run->pid);

	r = store_run_begin(d->store, c->cfg->name, run->pid, run->starttime, ops->path(run->cg), "starting",
			    run->started_at_ms, &run->id);
	if (r < 0)
		log_warning("container '%s': recording run start: %s, ignoring", c->cfg->name, strerror(-r));

	/* The baseline first, then the watch: a kill between the two is seen
	 * as a rise at the next read, never lost (pitfall 9). Stored, so that a
	 * supd restarted after a crash counts the kills it missed once. */
	struct cgroup_oom_counts base = p->oom_base;
	if (p->has_oom_base || ops->read_oom(run->cg, &base) == 0) {
		run->oom_kill_seen = base.oom_kill;
		run->oom_group_kill_seen = base.oom_group_kill;
		if (run->id > 0)
			(void)store_run_set_oom_seen(d->store, c->cfg->name, run->id, base.oom_kill, base.oom_group_kill);
	}
	sv_watch_run(c, run);
	bool go = sv_start_pidwatch(c, run);
	if (go) {
		r = uv_poll_init(&d->loop, &run->errpoll, run->err_fd);
		run->err_inited = r == 0;
		run->errpoll.data = run;
		if (r == 0)
			r = uv_poll_start(&run->errpoll, UV_READABLE, on_errpipe);
		if (r < 0) {
			log_error("container '%s': watching pid %d: %s", c->cfg->name, run->pid, uv_strerror(r));
			go = false;
		}
	}
	if (!run->pw_inited)
		d->n_unwatched_children++; /* SIGCHLD reaps it (daemon_reap) */
	if (go)
		sv_keeper_hold(c, run, p->out_fd, p->err_fd, p->child.sync_fd);
	spawn_release(&p->child, go);
	if (go && keeper_is_connected(d->keeper))
		(void)keeper_released(d->keeper, run->pid, run->starttime);
	sv_read_output(c, TAKE_FD(p->out_fd), TAKE_FD(p->err_fd));
	c->state = SV_STARTING; /* sv_set_state would write the row run_begin just wrote */
	c->state_since_ms = run->started_at_ms;
	log_debug("container '%s': released pid %d", c->cfg->name, run->pid);
}

void sv_adopt(struct container *c, struct sv_adoption *a)
{
	struct supd *d = c->d;
	struct sv_run *run = xcalloc(1, sizeof(*run));
	run->c = c;
	run->pid = a->pid;
	run->pidfd = TAKE_FD(a->pidfd);
	run->err_fd = -1;
	run->d = d;
	run->exec_resolved = true; /* it ran; the exec outcome went to the earlier supd */
	run->starttime = a->starttime;
	run->id = a->run_id;
	run->started_at_ms = a->started_at_ms;
	run->cg = TAKE_PTR(a->cg);
	run->oom_kills = a->oom_kills; /* an OOM death needs them, not only this supd's */
	c->run = run;
	c->run_alt = a->alt;
	if (run->pidfd >= 0)
		ctable_set_pid(&d->table, &c->link, run->pid);

	struct cgroup_oom_counts now;
	if (a->has_oom_seen) {
		run->oom_kill_seen = a->oom_kill_seen;
		run->oom_group_kill_seen = a->oom_group_kill_seen;
	} else if (run->cg && cg_ops(c)->read_oom(run->cg, &now) == 0) {
		run->oom_kill_seen = now.oom_kill; /* a run from before the counters were stored */
		run->oom_group_kill_seen = now.oom_group_kill;
	}
	if (a->hold && run->pidfd >= 0)
		sv_keeper_hold(c, run, a->out_fd, a->err_fd, -1);
	sv_read_output(c, TAKE_FD(a->out_fd), TAKE_FD(a->err_fd));
	sv_watch_run(c, run);

	c->stop_requested = a->stopping;
	sv_set_state(c, a->stopping ? SV_STOPPING : SV_RUNNING);
	if (a->stopping)
		uv_timer_start(&c->timer, on_stop_timeout, c->cfg->stop_timeout_ms, 0);
	record_event(c, "adopted", "pid %d (run %lld) %s", run->pid, (long long)run->id,
		     run->pidfd < 0 ? "is gone" : a->foreign ? "still runs" : "still runs, still supd's child");
	log_info("container '%s': adopted pid %d from an earlier supd%s", c->cfg->name, run->pid,
		 run->pidfd < 0 ? ", but it is gone" : "");

	run->pw.foreign_pid = a->foreign ? run->pid : 0;
	run->pw.foreign_starttime = run->starttime;
	if (run->pidfd < 0 || !sv_start_pidwatch(c, run)) {
		run->exit = (struct pidwatch_exit){ .code = -1, .unknown = true };
		sv_handle_event(c, SV_EV_EXIT);
		return;
	}
	/* OOM kills while no supd watched: counted now, once. */
	sv_check_oom(run);
}

void sv_discard_spare(struct container *c)
{
	if (!c->spare)
		return;
	prepared_discard(c, c->spare);
	free(c->spare);
	c->spare = NULL;
}

void sv_keeper_rehold(struct container *c)
{
	if (c->run && c->run->pidfd >= 0)
		sv_keeper_hold(c, c->run, logpipe_newest_fd(&c->pipes, "stdout"), logpipe_newest_fd(&c->pipes, "stderr"), -1);
}

void sv_prepare_reexec(struct container *c)
{
	/* A parked spare would outlive the exec as a child nobody knows. */
	sv_discard_spare(c);
	/* The keeper holds the pipes; a line read in part is written now, the
	 * rest of it and everything unread stays in the pipe for the next supd. */
	logpipe_flush_close_all(&c->pipes);
}

/* A container that is restarting after short runs gets its next child
 * cloned, placed in a fresh cgroup (OOM baseline read, notifications
 * registered) and parked ahead of time, so that the next restart only has
 * to release it: the cgroup work can wait behind the kernel's removal of
 * the previous run's group. Costs one parked process while the container
 * is restart-prone. */
static void sv_prepare_spare(struct container *c)
{
	if (c->spare || c->d->shutting_down || c->cfg->restart == RESTART_NO || c->restart.unhealthy_runs == 0)
		return;
	char reason[1200];
	struct sv_prepared *p = xcalloc(1, sizeof(*p));
	if (sv_prepare(c, !c->run_alt, p, reason, sizeof(reason)) < 0) {
		log_debug("container '%s': no spare (%s), the next restart starts from scratch", c->cfg->name, reason);
		free(p);
		return;
	}
	c->spare = p;
}

static void sv_enter_starting(struct container *c)
{
	struct sv_prepared fresh = { .out_fd = -1, .err_fd = -1 };
	char reason[1200];

	c->stop_requested = false;
	c->kill_sent = false;
	if (c->spare && spare_is_alive(c->spare)) {
		struct sv_prepared *p = TAKE_PTR(c->spare);
		sv_launch(c, p);
		free(p);
		return;
	}
	sv_discard_spare(c);
	if (sv_prepare(c, false, &fresh, reason, sizeof(reason)) < 0) {
		sv_enter_failed_spawn(c, reason);
		return;
	}
	sv_launch(c, &fresh);
}

static void sv_enter_running(struct container *c)
{
	sv_set_state(c, SV_RUNNING);
	record_event(c, "started", "pid %d", c->run->pid);
	log_info("container '%s': running, pid %d", c->cfg->name, c->run->pid);
	sv_notify_waiters(c);
	sv_prepare_spare(c);
}

static void on_stop_timeout(uv_timer_t *t)
{
	sv_handle_event(t->data, SV_EV_STOP_TIMEOUT);
}

static int send_signal(struct container *c, int sig)
{
	/* Without pidfd_send_signal (valgrind 3.19 lacks it): kill() is as
	 * safe here, the pid stays ours until we reap it. */
	long r = syscall(SYS_pidfd_send_signal, c->run->pidfd, sig, NULL, 0);
	if (r < 0 && errno == ENOSYS)
		r = kill(c->run->pid, sig);
	if (r < 0 && errno != ESRCH)
		return -errno;
	return 0;
}

int sv_kill(struct container *c, int sig)
{
	if (!c->run)
		return -ESRCH;
	record_event(c, "signal", "signal %d sent by request to pid %d", sig, c->run->pid);
	return send_signal(c, sig);
}

static void sv_enter_stopping(struct container *c)
{
	char sig[32];
	signal_label(c->cfg->stop_signal, sig, sizeof(sig));
	c->stop_requested = true;
	sv_discard_spare(c);
	int r = send_signal(c, c->cfg->stop_signal);
	if (r < 0)
		log_warning("container '%s': sending %s: %s, ignoring", c->cfg->name, sig, strerror(-r));
	uv_timer_start(&c->timer, on_stop_timeout, c->cfg->stop_timeout_ms, 0);
	sv_set_state(c, SV_STOPPING);
	record_event(c, "stopping", "%s, SIGKILL after %llu ms", sig, (unsigned long long)c->cfg->stop_timeout_ms);
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

static void on_restart_due(uv_timer_t *t)
{
	sv_handle_event(t->data, SV_EV_RESTART_DUE);
}

/* The run's process is gone: classify how it ended from a fresh read of
 * the OOM counter (the exit may arrive before the OOM notification), ask
 * the restart policy what next, record it, and settle. */
static void sv_enter_ended(struct container *c, const struct pidwatch_exit *ex)
{
	struct supd *d = c->d;
	struct sv_run *run = c->run;
	char reason[512], how[128];
	enum sv_state next;
	bool failed;

	uv_timer_stop(&c->timer);
	if (run->cg)
		sv_account_oom(c, run);
	/* OOM-killed only when the counter rose during this run and the main
	 * process died of SIGKILL: a graceful exit after a child's OOM kill is
	 * not an OOM death (KERNEL-NOTES pitfall 4). With init = yes the exit
	 * is sup-init's, which reports the command's death by SIGKILL as
	 * 128 + 9 (unless our own SIGKILL reached sup-init first). */
	bool died_of_sigkill = ex->signal == SIGKILL || (c->cfg->init && !ex->signal && ex->code == 128 + SIGKILL);
	bool oom_killed = run->oom_kills > 0 && (died_of_sigkill || ex->unknown);
	format_exit(ex, how, sizeof(how));
	if (run->has_failure) {
		format_failure(run, c->cfg, reason, sizeof(reason));
		next = SV_FAILED;
		failed = true;
		log_error("container '%s': start failed: %s", c->cfg->name, reason);
		record_event(c, "start-failed", "%s", reason);
	} else if (c->stop_requested) {
		snprintf(reason, sizeof(reason), "%s", how);
		next = SV_STOPPED;
		failed = false;
		log_info("container '%s': pid %d stopped, %s", c->cfg->name, run->pid, how);
		record_event(c, "stopped", "pid %d %s", run->pid, how);
	} else {
		if (oom_killed)
			snprintf(reason, sizeof(reason), "oom-killed (%s, %llu OOM kill(s))", how, (unsigned long long)run->oom_kills);
		else
			snprintf(reason, sizeof(reason), "%s", how);
		next = oom_killed ? SV_OOM_KILLED : SV_EXITED;
		failed = oom_killed || ex->signal != 0 || ex->code != 0;
		log_info("container '%s': pid %d %s", c->cfg->name, run->pid, reason);
		record_event(c, "exited", "pid %d %s", run->pid, reason);
	}

	int64_t now = daemon_now_ms();
	struct restart_outcome outcome = {
		.failed = failed,
		.stop_requested = c->stop_requested || d->shutting_down,
		.started_at_ms = run->started_at_ms,
		.ended_at_ms = now,
	};
	uint64_t delay = 0;
	enum restart_verdict verdict = restart_decide(c->cfg, &c->restart, &outcome, daemon_random(d), &delay);
	if (verdict == RESTART_VERDICT_DELAY)
		next = SV_BACKOFF;
	else if (verdict == RESTART_VERDICT_GIVE_UP)
		next = SV_FAILED;
	if (verdict != RESTART_VERDICT_DELAY)
		sv_discard_spare(c); /* no next run to hand it to */

	struct store_run_end end = {
		.ended_at_ms = now,
		.exit_code = ex->signal ? -1 : ex->code,
		.signal = ex->signal,
		.oom_killed = oom_killed,
		.reason = reason,
		.state = sv_state_to_string(next),
	};
	if (run->has_failure)
		end.exit_code = -1; /* the command never ran; its status is meaningless */
	int r = store_run_end(d->store, c->cfg->name, run->id, &end);
	if (r < 0)
		log_warning("container '%s': recording run end: %s, ignoring", c->cfg->name, strerror(-r));
	run_release(c);
	c->state = next;
	c->state_since_ms = now;

	if (verdict == RESTART_VERDICT_DELAY) {
		uv_timer_start(&c->timer, on_restart_due, delay, 0);
		record_event(c, "restart-scheduled", "in %llu ms (restart = %s, attempt %u) after %s", (unsigned long long)delay,
			     restart_policy_to_string(c->cfg->restart), c->restart.unhealthy_runs, reason);
		log_info("container '%s': restart in %llu ms", c->cfg->name, (unsigned long long)delay);
	} else if (verdict == RESTART_VERDICT_GIVE_UP) {
		uint32_t n = restart_failures_in_window(&c->restart, c->cfg->start_limit_window_ms, now);
		record_event(c, "failed", "start limit hit: %u failed runs within %llu ms (start_limit %u/%llums); "
			     "not restarting until 'supctl start'", n, (unsigned long long)c->cfg->start_limit_window_ms,
			     c->cfg->start_limit_burst, (unsigned long long)c->cfg->start_limit_window_ms);
		log_error("container '%s': start limit hit (%u failed runs), giving up until 'supctl start %s'", c->cfg->name, n,
			  c->cfg->name);
	}
	sv_notify_waiters(c);
	daemon_container_settled(d, c);
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
		if (ev == SV_EV_RESTART_DUE) { /* an operator's start is not a restart */
			int r = store_count_restart(c->d->store, c->cfg->name);
			if (r < 0)
				log_warning("container '%s': counting restart: %s, ignoring", c->cfg->name, strerror(-r));
		}
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
		/* Counted by sv_account_oom already. With oom_policy = kill the
		 * whole container goes: v2's memory.oom.group did that in the
		 * kernel; on v1 SIGKILL to the namespace's init ends the rest. */
		if (c->cfg->oom_policy == OOM_POLICY_KILL) {
			int r = send_signal(c, SIGKILL);
			if (r < 0)
				log_warning("container '%s': SIGKILL after OOM kill: %s, ignoring", c->cfg->name, strerror(-r));
		}
		break;
	case SV_ACT_CANCEL_RESTART:
		uv_timer_stop(&c->timer);
		sv_discard_spare(c);
		sv_set_state(c, SV_STOPPED);
		record_event(c, "stopped", "restart cancelled");
		sv_notify_waiters(c);
		daemon_container_settled(c->d, c);
		break;
	case _SV_ACTION_MAX:
		assert(false);
	}
	sv_assert_invariants(c);
}
