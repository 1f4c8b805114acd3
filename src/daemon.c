/* daemon.c - supd's top level (see daemon.h): load the config, open the
 * database and the control socket, create the containers, run the loop,
 * and on SIGTERM/SIGINT stop every container before exiting. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "ctl.h"
#include "daemon.h"
#include "reload.h"
#include "fd.h"
#include "init_binary.h"
#include "keeper.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "recover.h"
#include "signals.h"
#include "store.h"
#include "supervisor.h"

static char **daemon_argv; /* for re-exec */

int64_t daemon_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint32_t daemon_random(struct supd *d)
{
	d->rng ^= d->rng << 13;
	d->rng ^= d->rng >> 7;
	d->rng ^= d->rng << 17;
	return (uint32_t)(d->rng >> 32);
}

struct container *daemon_find(struct supd *d, const char *name)
{
	struct ctable_link *l = ctable_find_name(&d->table, name);
	return l ? (struct container *)l : NULL; /* link is the first member */
}

int daemon_init_fd(struct supd *d, struct sup_err *err)
{
	/* A failure is not kept: the next start tries again (the admin may
	 * have installed it meanwhile). */
	if (d->init_fd < 0)
		d->init_fd = init_binary_open(d->config->supd.init_path, err);
	return d->init_fd;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == 0) {
			char saved = *p;
			*p = 0;
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return -errno;
			*p = saved;
			if (!saved)
				break;
		}
	}
	return 0;
}

/* Events older than events_keep go, a small batch per loop turn so the
 * write lock is never held long and other events interleave; then the
 * timer sleeps until an hour later. The timer runs hourly, not when idle
 * ticks are needed: it is the one periodic job supd has. */
#define PRUNE_BATCH 500
#define PRUNE_INTERVAL_MS (3600 * 1000)

static void on_prune(uv_timer_t *t)
{
	struct supd *d = t->data;
	uint64_t keep = d->config->supd.events_keep_ms;
	int64_t now = daemon_now_ms();
	/* While the database fails, pruning would only fail too. */
	if (keep == 0 || keep >= (uint64_t)now || dbsync_is_failing(&d->db)) {
		uv_timer_start(t, on_prune, PRUNE_INTERVAL_MS, 0);
		return;
	}
	int deleted = 0;
	int r = store_prune_events(d->store, now - (int64_t)keep, PRUNE_BATCH, &deleted);
	if (r < 0)
		log_warning("pruning events older than %llu ms: %s, ignoring", (unsigned long long)keep, strerror(-r));
	/* A full batch: more may be left, continue on the next loop turn. */
	uv_timer_start(t, on_prune, r == 0 && deleted == PRUNE_BATCH ? 0 : PRUNE_INTERVAL_MS, 0);
}

/* The binary to execute again: the path this one was started from (after
 * an upgrade that is the new binary; /proc/self/exe then says "(deleted)"). */
static int daemon_exe_path(char *buf, size_t size)
{
	buf[0] = 0;
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	static const char deleted[] = " (deleted)";
	size_t dl = sizeof(deleted) - 1;
	if ((size_t)n > dl && !strcmp(buf + n - dl, deleted))
		buf[n - dl] = 0;
	return access(buf, X_OK) < 0 ? -errno : 0;
}

/* Whether a re-exec can keep every promise; 0 with the binary's path in
 * exe, or -errno with err set. */
static int daemon_reexec_check(struct supd *d, char *exe, size_t size, struct sup_err *err)
{
	int r;
	if (d->shutting_down)
		return sup_err_set(err, -ESHUTDOWN, "supd is shutting down");
	if (!keeper_is_connected(d->keeper))
		return sup_err_set(err, -ENOTCONN, "no fd keeper: re-executing would lose the containers' output pipes");
	if ((r = daemon_exe_path(exe, size)) < 0)
		return sup_err_set(err, r, "cannot execute %s: %s", exe, strerror(-r));
	return 0;
}

/* Save the state and execute supd's binary again, same pid: the containers
 * stay its children. The new image re-adopts them from the database and
 * takes the pipes and pidfds back from the keeper (recover.c). */
static void daemon_reexec(struct supd *d)
{
	char exe[4096];
	d->reexec_pending = false;
	struct sup_err err = { 0 };
	if (daemon_reexec_check(d, exe, sizeof(exe), &err) < 0) {
		log_error("re-exec refused: %s", err.msg);
		return;
	}
	for (int i = 0; i < d->n_containers; i++)
		sv_prepare_reexec(d->containers[i]);
	for (int i = 0; i < d->n_leaving; i++)
		sv_prepare_reexec(d->leaving[i]);
	store_event(d->store, daemon_now_ms(), NULL, "supd-reexec", exe);
	/* Everything recorded must be in the database before the exec: what
	 * a failing database still owes is written now or reported lost. */
	dbsync_drain(&d->db);
	(void)notify_send("RELOADING=1\nSTATUS=re-executing");
	log_info("re-executing %s", exe);
	execv(exe, daemon_argv);
	/* Everything was handed over: exiting now is a crash the next supd
	 * recovers from (systemd restarts it), with nothing lost. */
	log_error("re-executing %s: %m; exiting, the next supd re-adopts the containers", exe);
	_exit(1);
}

void daemon_flush(struct supd *d)
{
	dbsync_flush(&d->db);
	daemon_keeper_send_drops(d);
}

static void on_flush_prepare(uv_prepare_t *h)
{
	daemon_flush(h->data);
}

static void on_flush_check(uv_check_t *h)
{
	struct supd *d = h->data;
	daemon_flush(d);
	/* Here, at the end of a loop turn, so that the request's reply is out. */
	if (d->reexec_pending)
		daemon_reexec(d);
}

static void daemon_request_reexec(struct supd *d)
{
	/* Requests and signals arrive in the loop's poll phase; the check
	 * handle runs right after it in the same turn. */
	d->reexec_pending = true;
}

/* Autostart keeps at most this many starts in flight (exec outcome not
 * known yet): each holds a pidfd, three pipes and a share of an OOM
 * eventfd until its command runs, and starting thousands of containers in
 * one go would need all of those at once (5,000 did not fit 20,000 fds). */
#define AUTOSTART_IN_FLIGHT 256

static void autostart_some(struct supd *d, int in_flight)
{
	while (d->autostart_next < d->n_containers && d->n_exec_pending < in_flight && !d->shutting_down) {
		struct container *c = d->containers[d->autostart_next++];
		if (c->start_pending) {
			c->start_pending = false;
			sv_handle_event(c, SV_EV_START);
		}
	}
}

static void on_autostart(uv_idle_t *h)
{
	uv_idle_stop(h);
	autostart_some(h->data, AUTOSTART_IN_FLIGHT);
}

void daemon_exec_resolved(struct supd *d)
{
	d->n_exec_pending--;
	/* From the loop, not from inside this run's callback. */
	if (d->autostart_next < d->n_containers && d->autostart.data && !d->shutting_down)
		uv_idle_start(&d->autostart, on_autostart);
}

void daemon_autostart_finish(struct supd *d)
{
	autostart_some(d, INT_MAX);
}

static void daemon_finish(struct supd *d)
{
	store_event(d->store, daemon_now_ms(), NULL, "supd-stopped", "all containers stopped");
	log_info("all containers stopped, exiting");
	ctl_close(d->ctl);
	d->ctl = NULL;
	signals_close(d->signals);
	d->signals = NULL;
	uv_close((uv_handle_t *)&d->prune_timer, NULL);
	/* The last word: every container stopped. */
	if (uv_is_active((uv_handle_t *)&d->metrics_timer) || d->config->supd.metrics_file) {
		int r = metrics_write(d);
		if (r < 0)
			log_warning("writing metrics: %s, ignoring", strerror(-r));
	}
	uv_close((uv_handle_t *)&d->metrics_timer, NULL);
	d->metrics_timer.data = NULL;
	uv_close((uv_handle_t *)&d->autostart, NULL);
	d->autostart.data = NULL;
	/* The last records, and whatever a failing database still owes. */
	dbsync_drain(&d->db);
	dbsync_close(&d->db);
	/* Every container stopped: nothing is left for the keeper to hold. */
	daemon_detach_keeper(d, true);
	uv_close((uv_handle_t *)&d->flush_prepare, NULL);
	uv_close((uv_handle_t *)&d->flush_check, NULL);
	for (int i = 0; i < d->n_containers; i++)
		sv_container_free(d->containers[i]);
	d->n_containers = 0;
	for (int i = 0; i < d->n_leaving; i++)
		sv_container_free(d->leaving[i]);
	d->n_leaving = 0;
}

void daemon_container_settled(struct supd *d, struct container *c)
{
	if (c && !d->shutting_down)
		reload_container_settled(d, c);
	if (!d->shutting_down || !d->ctl)
		return;
	/* During shutdown nothing restarts, so a settled container stays
	 * settled: resume where the last look stopped, O(containers) for the
	 * whole shutdown instead of per container that settles. */
	for (; d->settled_upto < d->n_containers; d->settled_upto++)
		if (!sv_state_is_settled(d->containers[d->settled_upto]->state))
			return;
	for (int i = 0; i < d->n_leaving; i++)
		if (!sv_state_is_settled(d->leaving[i]->state))
			return;
	daemon_finish(d);
}

static void daemon_shutdown(struct supd *d, int signum)
{
	if (d->shutting_down)
		return;
	log_info("SIG%s: stopping %d containers", signum == SIGINT ? "INT" : "TERM", d->n_containers);
	d->shutting_down = true;
	uv_timer_stop(&d->prune_timer);
	int nr = notify_send("STOPPING=1\nSTATUS=stopping containers");
	if (nr < 0)
		log_warning("notifying the service manager ($NOTIFY_SOCKET): %s, ignoring", strerror(-nr));
	for (int i = 0; i < d->n_containers; i++)
		sv_handle_event(d->containers[i], SV_EV_STOP);
	daemon_container_settled(d, NULL);
}

/* SIGCHLD: a child that no pidfd watches (a start whose watch could not
 * be set up) is reaped here so no zombie stays; a container's own exit is
 * its pidfd's to report. */
static void daemon_reap(struct supd *d)
{
	/* Every container's exit also raises SIGCHLD, and waitid(P_ALL) makes
	 * the kernel walk all of supd's children: 17 us with 1,000 of them,
	 * 580 us with 5,000, per exit. Their pidfds reap them anyway, so walk
	 * only when a child exists that no pidfd watches. */
	if (d->n_unwatched_children == 0)
		return;
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			return;
		struct ctable_link *l = ctable_find_pid(&d->table, si.si_pid);
		if (l && sv_check_exit((struct container *)l) == 1)
			continue;
		if (l)
			log_warning("pid %d of container '%s' exited but its pidfd could not reap it", si.si_pid, l->name);
		if (waitpid(si.si_pid, NULL, WNOHANG) > 0 && d->n_unwatched_children > 0)
			d->n_unwatched_children--;
	}
}

static void on_signal(void *data, int signum)
{
	struct supd *d = data;
	switch (signum) {
	case SIGTERM:
	case SIGINT:
		daemon_shutdown(d, signum);
		break;
	case SIGCHLD:
		daemon_reap(d);
		break;
	case SIGUSR2: {
		struct sup_err err = { 0 };
		char exe[4096];
		if (daemon_reexec_check(d, exe, sizeof(exe), &err) < 0)
			log_error("SIGUSR2: re-exec refused: %s", err.msg);
		else
			daemon_request_reexec(d);
		break;
	}
	case SIGHUP: {
		char summary[1024];
		struct sup_err err = { 0 };
		if (!d->shutting_down && daemon_reload(d, summary, sizeof(summary), &err) < 0)
			log_error("SIGHUP: reload refused, the running configuration stays: %s", err.msg);
		break;
	}
	}
}

static void on_ctl_request(void *data, struct ctl_client *cl, const char *verb, const char *arg)
{
	struct supd *d = data;
	/* Replies that follow a write commit first (reload, kill here; start,
	 * stop, restart in the supervisor's reply_waiter), so a client that
	 * gets its answer finds the database up to date. */
	if (!strcmp(verb, "ping")) {
		ctl_reply(cl, true, "supd %s pid %d", SUP_VERSION, (int)getpid());
		return;
	}
	if (!strcmp(verb, "daemon-reexec")) {
		struct sup_err err = { 0 };
		char exe[4096];
		if (daemon_reexec_check(d, exe, sizeof(exe), &err) < 0) {
			ctl_reply(cl, false, "re-exec refused: %s", err.msg);
			return;
		}
		ctl_reply(cl, true, "supd pid %d re-executing", (int)getpid());
		daemon_request_reexec(d);
		return;
	}
	if (!strcmp(verb, "reload")) {
		char summary[1024];
		struct sup_err err = { 0 };
		int r = d->shutting_down ? -ESHUTDOWN : daemon_reload(d, summary, sizeof(summary), &err);
		daemon_flush(d);
		if (r == -ESHUTDOWN)
			ctl_reply(cl, false, "supd is shutting down");
		else if (r < 0)
			ctl_reply(cl, false, "reload refused, the running configuration stays: %s", err.msg);
		else
			ctl_reply(cl, true, "%s", summary);
		return;
	}
	if (!strcmp(verb, "kill")) {
		char name[128];
		int sig;
		if (sscanf(arg, "%127s %d", name, &sig) != 2) {
			ctl_reply(cl, false, "usage: kill NAME SIGNAL");
			return;
		}
		struct container *c = daemon_find(d, name);
		if (!c) {
			ctl_reply(cl, false, "no container named '%s' in the configuration", name);
			return;
		}
		int r = sv_kill(c, sig);
		daemon_flush(d);
		if (r == -ESRCH)
			ctl_reply(cl, false, "container '%s' is not running (%s)", name, sv_state_to_string(c->state));
		else if (r < 0)
			ctl_reply(cl, false, "signal %d to container '%s': %s", sig, name, strerror(-r));
		else
			ctl_reply(cl, true, "sent signal %d to %s (pid %d)", sig, name, (int)sv_pid(c));
		return;
	}
	enum sv_wait kind;
	if (!strcmp(verb, "start"))
		kind = SV_WAIT_START;
	else if (!strcmp(verb, "stop"))
		kind = SV_WAIT_STOP;
	else if (!strcmp(verb, "restart"))
		kind = SV_WAIT_RESTART;
	else {
		ctl_reply(cl, false, "unknown request '%s'", verb);
		return;
	}
	struct container *c = daemon_find(d, arg);
	if (!c || c->reload_remove) {
		ctl_reply(cl, false, "no container named '%s' in the configuration", arg);
		return;
	}
	sv_request(c, cl, kind);
}

static void on_ctl_gone(void *data, struct ctl_client *cl)
{
	(void)data;
	struct container *c = ctl_client_get_data(cl);
	if (c)
		sv_forget_client(c, cl);
}

static int daemon_open(struct supd *d, const char *config_path, struct sup_err *err)
{
	int r = config_load(config_path, &d->config, err);
	if (r < 0)
		return r;
	const struct supd_settings *s = &d->config->supd;
	const char *dirs[] = { s->state_dir, s->run_dir, s->log_dir };
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		if ((r = mkdir_p(dirs[i], 0755)) < 0)
			return sup_err_set(err, r, "creating %s: %s", dirs[i], strerror(-r));
	if ((r = uv_loop_init(&d->loop)) < 0)
		return sup_err_set(err, r, "event loop: %s", uv_strerror(r));
	d->loop_open = true;
	/* Before the keeper: a second supd on the same state must not take
	 * the keeper's fds from the first. The socket itself opens once the
	 * database is ready, so that whoever waits for it can read the DB. */
	if ((r = ctl_check_free(s->socket_path, err)) < 0)
		return r;
	daemon_attach_keeper(d);
	if ((r = store_open(s->db_path, &d->store, err)) < 0)
		return sup_err_prefix(err, "database"); /* the message names the file */
	if ((r = store_last_stop_was_clean(d->store, &d->last_stop_clean)) < 0 ||
	    (r = store_list_containers(d->store, &d->recovery_rows, &d->n_recovery_rows)) < 0)
		return sup_err_set(err, r, "database %s: reading what the last supd left: %s", s->db_path, strerror(-r));
	if ((r = cgroup_open("/sys/fs/cgroup", s->cgroup_parent, &d->cgroups, err)) < 0)
		return sup_err_prefix(err, "cgroups");
	d->rng = (uint64_t)daemon_now_ms() * 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid();
	d->devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (d->devnull_fd < 0)
		return sup_err_set(err, -errno, "/dev/null: %s", strerror(errno));
	/* Built even when no container wants it yet: a reload may turn it on. */
	if ((r = seccomp_program_build(&d->seccomp, err)) < 0)
		return sup_err_prefix(err, "seccomp filter");

	d->logbuf = xmalloc(sizeof(*d->logbuf));
	/* Enough for every container that prints at the same time in
	 * practice; beyond it a file is reopened at its next write. */
	logfile_set_init(&d->logfiles, 256);
	oomwatch_set_init(&d->oomwatches, &d->loop);
	ctable_init(&d->table);
	d->containers = xcalloc((size_t)d->config->n_containers, sizeof(*d->containers));
	const char **names = xcalloc((size_t)d->config->n_containers + 1, sizeof(*names));
	for (int i = 0; i < d->config->n_containers; i++) {
		names[i] = d->config->containers[i].name;
		if ((r = sv_container_new(d, &d->config->containers[i], &d->containers[i], err)) < 0) {
			free(names);
			return r;
		}
		d->n_containers++;
	}
	/* From here on writes are queued (and this one commits with the first
	 * loop turn), so a database locked by another process does not keep
	 * supd from starting. */
	store_set_autobatch(d->store, true);
	r = store_sync_containers(d->store, names, d->n_containers, daemon_now_ms());
	free(names);
	if (r < 0)
		return sup_err_set(err, r, "database %s: recording containers: %s", s->db_path, strerror(-r));

	struct ctl_callbacks cbs = { .on_request = on_ctl_request, .on_gone = on_ctl_gone, .data = d };
	gid_t group = s->control_group ? (gid_t)s->control_gid : CTL_NO_GROUP;
	if ((r = ctl_open(&d->loop, s->socket_path, group, s->control_group, &cbs, &d->ctl, err)) < 0)
		return r;
	if ((r = signals_start(&d->loop, on_signal, d, &d->signals)) < 0)
		return sup_err_set(err, r, "signals: %s", uv_strerror(r));
	uv_timer_init(&d->loop, &d->prune_timer);
	d->prune_timer.data = d;
	uv_timer_init(&d->loop, &d->metrics_timer);
	d->metrics_timer.data = d;
	uv_idle_init(&d->loop, &d->autostart);
	d->autostart.data = d;
	/* One commit per loop turn: writes join a batch, committed when the
	 * turn's callbacks are done (check) and before the loop waits
	 * (prepare, for the timers' writes). */
	if ((r = dbsync_init(&d->db, &d->loop, d->store, s->db_path, s->socket_path)) < 0)
		return sup_err_set(err, r, "database timer: %s", uv_strerror(r));
	uv_prepare_init(&d->loop, &d->flush_prepare);
	d->flush_prepare.data = d;
	uv_prepare_start(&d->flush_prepare, on_flush_prepare);
	uv_check_init(&d->loop, &d->flush_check);
	d->flush_check.data = d;
	uv_check_start(&d->flush_check, on_flush_check);
	return 0;
}

static void on_walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void daemon_close(struct supd *d)
{
	/* A failed start-up: a keeper that holds nothing has nothing to wait
	 * for (one that holds runs waits for the next supd). Before the loop's
	 * handles are closed: its watch is one of them. */
	daemon_detach_keeper(d, d->n_held == 0);
	/* Only reached with an open loop after a failed start-up or a finished
	 * shutdown; what is still open here is closed and the loop drained. */
	if (d->loop_open) {
		ctl_close(d->ctl);
		signals_close(d->signals);
		for (int i = 0; i < d->n_containers; i++)
			sv_container_free(d->containers[i]);
		uv_run(&d->loop, UV_RUN_NOWAIT);
		uv_walk(&d->loop, on_walk_close, NULL);
		uv_run(&d->loop, UV_RUN_DEFAULT);
		uv_loop_close(&d->loop);
		ctable_done(&d->table);
		oomwatch_set_done(&d->oomwatches);
	}
	keeper_held_free(d->held, d->n_held);
	d->held = NULL;
	free(d->recovery_rows);
	free(d->keeper_drops);
	free(d->containers);
	free(d->leaving);
	for (int i = 0; i < d->n_old_configs; i++)
		config_free(d->old_configs[i]);
	free(d->old_configs);
	free(d->logbuf);
	fd_close(d->devnull_fd);
	seccomp_program_free(d->seccomp);
	if (d->init_fd >= 0)
		fd_close(d->init_fd);
	cgroup_close(d->cgroups);
	store_close(d->store);
	config_free(d->config);
}

int daemon_run(const char *config_path, char **argv)
{
	daemon_argv = argv;
	struct supd d = { .devnull_fd = -1, .init_fd = -1 };
	struct sup_err err = { 0 };
	int status = 0;

	int r = daemon_open(&d, config_path, &err);
	if (r < 0) {
		log_error("%s", err.msg);
		status = 1;
		goto out;
	}
	log_info("supd %s started: %d containers, socket %s, database %s, cgroup %s %s", SUP_VERSION, d.n_containers,
		 d.config->supd.socket_path, d.config->supd.db_path, cgroup_manager_ops(d.cgroups)->name,
		 cgroup_manager_base(d.cgroups));
	store_event(d.store, daemon_now_ms(), NULL, "supd-started", d.config->path);
	recover_and_start(&d, d.held, d.n_held, d.recovery_rows, d.n_recovery_rows, d.last_stop_clean);
	keeper_held_free(d.held, d.n_held);
	d.held = NULL;
	d.n_held = 0;
	free(TAKE_PTR(d.recovery_rows));
	autostart_some(&d, AUTOSTART_IN_FLIGHT); /* the rest as their starts resolve */

	uv_timer_start(&d.prune_timer, on_prune, 0, 0);
	metrics_changed(&d);
	char ready[128];
	snprintf(ready, sizeof(ready), "READY=1\nSTATUS=supervising %d containers", d.n_containers);
	int nr = notify_send(ready);
	if (nr < 0)
		log_warning("notifying the service manager ($NOTIFY_SOCKET): %s, ignoring", strerror(-nr));

	uv_run(&d.loop, UV_RUN_DEFAULT);
	d.ctl = NULL;
	d.signals = NULL;
out:
	daemon_close(&d);
	return status;
}
