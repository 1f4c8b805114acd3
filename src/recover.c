/* recover.c - see recover.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "daemon.h"
#include "fd.h"
#include "log.h"
#include "macro.h"
#include "procinfo.h"
#include "recover.h"
#include "store.h"
#include "supervisor.h"

struct recovery {
	struct supd *d;
	struct keeper_held *held;
	int n_held;
	const struct store_container *rows; /* the database's view before this supd synced it, by name */
	int n_rows;
};

static const struct store_container *find_row(const struct recovery *rc, const char *name)
{
	for (int lo = 0, hi = rc->n_rows; lo < hi;) {
		int mid = (lo + hi) / 2, cmp = strcmp(name, rc->rows[mid].name);
		if (cmp == 0)
			return &rc->rows[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The keeper's entry for the run the database has open: same run id and
 * the same process (run ids of runs never committed can come again). */
static struct keeper_held *find_held(const struct recovery *rc, const struct store_run_state *run, const char *name)
{
	for (int i = 0; i < rc->n_held; i++) {
		const struct keeper_held *h = &rc->held[i];
		if (h->pidfd >= 0 && h->run.run_id == run->id && !strcmp(h->run.name, name) && h->run.pid == run->pid &&
		    h->run.starttime == run->pid_starttime)
			return &rc->held[i];
	}
	return NULL;
}

/* A run of name the keeper holds that the database does not know: supd
 * crashed after the process started and before the run was committed. */
static struct keeper_held *find_unrecorded(const struct recovery *rc, const char *name)
{
	for (int i = 0; i < rc->n_held; i++) {
		struct keeper_held *h = &rc->held[i];
		struct store_run_state run;
		if (h->pidfd < 0 || strcmp(h->run.name, name))
			continue;
		/* Recorded after all (and ended: the keeper had not yet been told):
		 * not to be recorded twice. */
		if (store_get_run(rc->d->store, h->run.run_id, &run) == 0 && run.pid == h->run.pid &&
		    run.pid_starttime == h->run.starttime)
			continue;
		return h;
	}
	return NULL;
}

static const char *group_of(const char *cgroup_path)
{
	const char *slash = strrchr(cgroup_path, '/');
	return slash ? slash + 1 : cgroup_path;
}

/* A group of this container's that no run uses: what a crash left (a
 * spare's group, a run that is gone). Its processes die with it. */
static void remove_leftover_group(struct supd *d, const char *name)
{
	const struct cgroup_ops *ops = cgroup_manager_ops(d->cgroups);
	struct cgroup *cg;
	if (cgroup_open_existing(d->cgroups, name, &cg) < 0)
		return;
	int r = ops->kill_all(cg);
	if (r == 0)
		r = ops->destroy(cg);
	if (r < 0)
		log_warning("removing leftover cgroup %s: %s, ignoring", ops->path(cg), strerror(-r));
	else
		log_info("removed leftover cgroup %s", ops->path(cg));
	ops->free(cg);
}

static void remove_leftover_groups(struct supd *d, const struct container *c, const char *in_use)
{
	char alt[160];
	snprintf(alt, sizeof(alt), "%s@1", c->cfg->name);
	const char *names[] = { c->cfg->name, alt };
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (!in_use || strcmp(in_use, names[i]))
			remove_leftover_group(d, names[i]);
}

/* The keeper still had the child's release pipe: supd died around the
 * release. Release it now (a byte more for a child already released is
 * never read: it closes the pipe after the first). */
static void release_parked(struct supd *d, struct keeper_held *h)
{
	if (h->sync_fd < 0)
		return;
	char go = 1;
	if (write(h->sync_fd, &go, 1) < 0 && errno != EPIPE)
		log_warning("releasing parked pid %d: %m, ignoring", h->run.pid);
	h->sync_fd = fd_close(h->sync_fd);
	if (keeper_is_connected(d->keeper))
		(void)keeper_released(d->keeper, h->run.pid, h->run.starttime);
}

/* The run the database has open for c: adopt it (sv_adopt ends it at once
 * if its process is gone). Returns the group it uses, or NULL if there was
 * nothing to adopt. */
static const char *recover_run(struct recovery *rc, struct container *c, const struct store_container *row,
			       struct store_run_state *run)
{
	struct supd *d = rc->d;
	if (row->current_run <= 0 || store_get_run(d->store, row->current_run, run) < 0 || !run->open)
		return NULL;
	const char *group = group_of(run->cgroup);
	size_t glen = strlen(group);
	struct sv_adoption a = {
		.run_id = run->id,
		.pid = (pid_t)run->pid,
		.starttime = run->pid_starttime,
		.pidfd = -1,
		.foreign = true,
		.started_at_ms = run->started_at_ms,
		.alt = glen > 2 && !strcmp(group + glen - 2, "@1"),
		.has_oom_seen = run->has_oom_seen,
		.oom_kill_seen = run->oom_kill_seen,
		.oom_group_kill_seen = run->oom_group_kill_seen,
		.oom_kills = run->oom_kills > 0 ? (uint64_t)run->oom_kills : 0,
		.out_fd = -1,
		.err_fd = -1,
		.stopping = !strcmp(row->state, "stopping"),
		.hold = true,
	};
	struct keeper_held *h = find_held(rc, run, c->cfg->name);
	struct procinfo_stat st;
	if (h) {
		/* The held pidfd is the process itself, alive or not: no PID reuse
		 * can fool it. */
		a.pidfd = TAKE_FD(h->pidfd);
		a.out_fd = TAKE_FD(h->out_fd);
		a.err_fd = TAKE_FD(h->err_fd);
		a.hold = false;
		release_parked(d, h);
		if (procinfo_read_stat(a.pid, &st) == 0 && st.starttime == a.starttime)
			a.foreign = st.ppid != getpid();
	} else {
		int fd = procinfo_open_verified(a.pid, a.starttime, run->cgroup[0] ? run->cgroup : NULL, &st);
		if (fd >= 0) {
			a.pidfd = fd;
			a.foreign = st.ppid != getpid();
		} else
			log_notice("container '%s': pid %d of run %lld is gone (%s)", c->cfg->name, a.pid, (long long)run->id,
				   fd == -EXDEV ? "now another process" : strerror(-fd));
	}
	if (cgroup_open_existing(d->cgroups, group, &a.cg) < 0)
		a.cg = NULL;
	sv_adopt(c, &a);
	return group;
}

/* Record the run the crashed supd did not get to commit, then adopt it
 * like any other. Returns its group, or NULL if it could not be recorded
 * (then the leftover clean-up ends it). */
static const char *recover_unrecorded(struct recovery *rc, struct container *c, struct keeper_held *h)
{
	struct supd *d = rc->d;
	const struct cgroup_ops *ops = cgroup_manager_ops(d->cgroups);
	struct sv_adoption a = {
		.pid = h->run.pid,
		.starttime = h->run.starttime,
		.pidfd = TAKE_FD(h->pidfd),
		.foreign = true,
		.started_at_ms = h->run.started_at_ms,
		.alt = strchr(h->run.group, '@') != NULL,
		.has_oom_seen = true,
		.oom_kill_seen = h->run.oom_kill_seen,
		.oom_group_kill_seen = h->run.oom_group_kill_seen,
		.out_fd = TAKE_FD(h->out_fd),
		.err_fd = TAKE_FD(h->err_fd),
		.hold = true, /* under its new run id */
	};
	if (cgroup_open_existing(d->cgroups, h->run.group, &a.cg) < 0)
		a.cg = NULL;
	int r = store_run_begin(d->store, c->cfg->name, a.pid, a.starttime, a.cg ? ops->path(a.cg) : NULL, "running",
				a.started_at_ms, &a.run_id);
	if (r == 0)
		r = store_run_set_oom_seen(d->store, c->cfg->name, a.run_id, a.oom_kill_seen, a.oom_group_kill_seen);
	if (r < 0) {
		log_warning("container '%s': recording the run of pid %d that an earlier supd did not record: %s; ending it",
			    c->cfg->name, a.pid, strerror(-r));
		fd_close(a.pidfd);
		fd_close(a.out_fd);
		fd_close(a.err_fd);
		if (a.cg)
			ops->free(a.cg);
		return NULL;
	}
	struct procinfo_stat st;
	if (procinfo_read_stat(a.pid, &st) == 0 && st.starttime == a.starttime)
		a.foreign = st.ppid != getpid();
	release_parked(d, h);
	log_notice("container '%s': pid %d ran unrecorded (supd died first); recorded as run %lld", c->cfg->name, a.pid,
		   (long long)a.run_id);
	sv_adopt(c, &a);
	return h->run.group; /* the caller's held[] outlives its use */
}

/* Without a run to adopt: what the container was doing says whether it
 * should run now. A restart was pending (backoff) or it was meant to run:
 * yes; an operator's stop, a start limit, an exit the policy did not
 * restart: no, and that state stays. */
static bool settle_without_run(struct container *c, const struct store_container *row)
{
	int s = sv_state_from_string(row->state);
	if (s == SV_BACKOFF || s == SV_RUNNING || s == SV_STARTING || s == SV_STOPPING || s < 0)
		return s == SV_BACKOFF || c->cfg->autostart;
	c->state = (enum sv_state)s;
	c->state_since_ms = row->state_since_ms;
	return false;
}

/* A run the keeper held that nobody claimed: its container left the
 * configuration while supd was down, or already has its run. Stop it and
 * close its run if the database has it open. */
static void end_unclaimed(struct recovery *rc, struct keeper_held *h)
{
	struct supd *d = rc->d;
	struct store_run_state run;
	if (h->pidfd < 0)
		return;
	if (keeper_is_connected(d->keeper))
		(void)keeper_drop(d->keeper, h->run.pid, h->run.starttime);
	if (syscall(SYS_pidfd_send_signal, h->pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
		log_warning("run %lld of '%s': SIGKILL: %m, ignoring", (long long)h->run.run_id, h->run.name);
	else if (errno != ESRCH)
		log_notice("container '%s': killed pid %d left from an earlier supd that no configured container claims",
			   h->run.name, h->run.pid);
	remove_leftover_group(d, h->run.group);
	if (store_get_run(d->store, h->run.run_id, &run) < 0 || !run.open || run.pid != h->run.pid)
		return;
	struct store_run_end end = {
		.ended_at_ms = daemon_now_ms(),
		.exit_code = -1,
		.signal = SIGKILL,
		.reason = "killed(SIGKILL): no longer configured when supd came back",
		.state = "stopped",
	};
	int r = store_run_end(d->store, h->run.name, h->run.run_id, &end);
	if (r < 0)
		log_warning("run %lld of '%s': recording its end: %s, ignoring", (long long)h->run.run_id, h->run.name,
			    strerror(-r));
}

void recover_and_start(struct supd *d, struct keeper_held *held, int n_held, const struct store_container *rows,
		       int n_rows, bool clean)
{
	struct recovery rc = { .d = d, .held = held, .n_held = n_held, .rows = rows, .n_rows = n_rows };
	int adopted = 0;
	for (int i = 0; i < d->n_containers; i++) {
		struct container *c = d->containers[i];
		const struct store_container *row = clean ? NULL : find_row(&rc, c->cfg->name);
		struct store_run_state run;
		const char *in_use = row ? recover_run(&rc, c, row, &run) : NULL;
		struct keeper_held *h = in_use ? NULL : find_unrecorded(&rc, c->cfg->name);
		if (h)
			in_use = recover_unrecorded(&rc, c, h);
		remove_leftover_groups(d, c, in_use);
		if (in_use) {
			adopted++;
			continue;
		}
		c->start_pending = row ? settle_without_run(c, row) : c->cfg->autostart;
	}
	for (int i = 0; i < n_held; i++)
		end_unclaimed(&rc, &held[i]);
	if (!clean)
		log_info("recovered from an earlier supd that did not stop cleanly: %d run(s) adopted", adopted);
}
