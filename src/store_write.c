/* store_write.c - the writers of the store (see store.h): each checks its
 * arguments and describes the write as a struct store_op, which
 * op_submit() applies at once or queues (autobatch); op_apply() records it,
 * all-or-nothing inside its own transaction level (store-internal.h).
 * Never logs, decides nothing. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"

/* store_record_oom() appends at most this many 'oom-kill' events per call
 * (one per process killed). Real rises between two reads of the counter are
 * a handful; this only bounds the work should a counter read be garbage. */
#define STORE_OOM_EVENTS_MAX 10000

static int event_locked(struct store *s, int64_t now_ms, const char *name, const char *type, const char *detail);

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void strv_freep(char ***v)
{
	if (*v)
		for (char **p = *v; *p; p++)
			free(*p);
	free(*v);
}

/* Names of the rows that are not removed, as a NULL-terminated array.
 * Collected first so the removal updates do not run under a live SELECT
 * of the same table. */
static int existing_names(struct store *s, char ***ret)
{
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_CONTAINER_NAMES];
	_cleanup_(strv_freep) char **v = xcalloc(1, sizeof(char *));
	size_t n = 0;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		v = xrealloc(v, (n + 2) * sizeof(char *));
		v[n++] = xstrdup((const char *)sqlite3_column_text(q, 0));
		v[n] = NULL;
	}
	if (rc != SQLITE_DONE)
		return -EIO;
	*ret = TAKE_PTR(v);
	return 0;
}

/* Run a statement whose parameters are ?1 a container name, ?2 now. */
static int exec_name_time(struct store *s, enum stmt_id id, const char *name, int64_t now_ms)
{
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[id];
	int r = bind_text(q, 1, name);
	if (r >= 0)
		r = bind_time(q, 2, now_ms);
	if (r >= 0)
		r = step_done(q);
	return r;
}

static int sync_locked(struct store *s, const char *const *names, int n, int64_t now_ms)
{
	_cleanup_free_ const char **sorted = NULL;
	_cleanup_(strv_freep) char **existing = NULL;
	int r;

	for (int i = 0; i < n; i++)
		if ((r = exec_name_time(s, ST_CONTAINER_UPSERT, names[i], now_ms)) < 0)
			return r;

	r = existing_names(s, &existing);
	if (r < 0)
		return r;

	sorted = xmalloc(sizeof(char *) * (size_t)(n > 0 ? n : 1));
	if (n > 0)
		memcpy(sorted, names, sizeof(char *) * (size_t)n);
	qsort(sorted, (size_t)n, sizeof(char *), strcmp_ptr);

	for (char **p = existing; *p; p++) {
		if (bsearch(p, sorted, (size_t)n, sizeof(char *), strcmp_ptr))
			continue;
		if ((r = exec_name_time(s, ST_CONTAINER_REMOVE, *p, now_ms)) < 0)
			return r;
	}
	return 0;
}

int store_sync_containers(struct store *s, const char *const *names, int n, int64_t now_ms)
{
	assert(s);
	assert(n == 0 || names);
	if (n < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (!names[i] || !*names[i])
			return -EINVAL;

	return op_submit(s, &(struct store_op){ .kind = OP_SYNC_CONTAINERS, .now_ms = now_ms, .names = names,
						.n_names = n });
}

/* -ENOENT when the last UPDATE/INSERT touched no row. */
static int changed_or_enoent(struct store *s)
{
	return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_set_state(struct store *s, const char *name, const char *state, int64_t now_ms)
{
	assert(s && name && state);
	return op_submit(s, &(struct store_op){ .kind = OP_SET_STATE, .now_ms = now_ms, .name = name, .state = state });
}

static int set_state_locked(struct store *s, const char *name, const char *state, int64_t now_ms)
{
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_SET_STATE];

	if (bind_text(q, 1, name) < 0 || bind_text(q, 2, state) < 0 || bind_time(q, 3, now_ms) < 0 ||
	    step_done(q) < 0)
		return -EIO;
	return changed_or_enoent(s);
}

static int run_begin_locked(struct store *s, const char *name, int64_t id, int64_t pid, uint64_t pid_starttime,
			    const char *cgroup, const char *state, int64_t now_ms)
{
	{
		_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_RUN_INSERT];
		if (bind_text(q, 1, name) < 0 || bind_int64_or_null(q, 2, pid) < 0 ||
		    bind_int64_or_null(q, 3, (int64_t)pid_starttime) < 0 || bind_text(q, 4, cgroup) < 0 ||
		    bind_time(q, 5, now_ms) < 0 || bind_int64(q, 6, id) < 0 || step_done(q) < 0)
			return -EIO;
		if (sqlite3_changes(s->db) == 0)
			return -ENOENT;
	}

	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_RUN_BEGIN_CONTAINER];
	if (bind_text(q, 1, name) < 0 || bind_int64(q, 2, id) < 0 || bind_int64_or_null(q, 3, pid) < 0 ||
	    bind_int64_or_null(q, 4, (int64_t)pid_starttime) < 0 || bind_text(q, 5, cgroup) < 0 ||
	    bind_time(q, 6, now_ms) < 0 || bind_text(q, 7, state) < 0 || step_done(q) < 0)
		return -EIO;
	return 0;
}

int store_run_begin(struct store *s, const char *name, pid_t pid, uint64_t pid_starttime,
		    const char *cgroup, const char *state, int64_t now_ms, int64_t *ret_run_id)
{
	assert(s && name && state);
	if (pid < 0 || pid_starttime > INT64_MAX)
		return -EINVAL;

	int64_t id = s->next_run_id++;
	int r = op_submit(s, &(struct store_op){ .kind = OP_RUN_BEGIN, .now_ms = now_ms, .name = name, .run_id = id,
						 .pid = pid, .pid_starttime = pid_starttime, .cgroup = cgroup,
						 .state = state });
	if (r >= 0 && ret_run_id)
		*ret_run_id = id;
	return r;
}

static int run_end_locked(struct store *s, const char *name, int64_t run_id, const struct store_run_end *end)
{
	{
		_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_RUN_END];
		if (bind_text(q, 1, name) < 0 || bind_int64(q, 2, run_id) < 0 ||
		    bind_time(q, 3, end->ended_at_ms) < 0 || bind_exit_code(q, 4, end->exit_code) < 0 ||
		    bind_int64_or_null(q, 5, end->signal > 0 ? end->signal : 0) < 0 ||
		    bind_int64(q, 6, end->oom_killed) < 0 || bind_text(q, 7, end->reason) < 0 ||
		    step_done(q) < 0)
			return -EIO;
		/* No such run of this container, or it has already ended. */
		if (sqlite3_changes(s->db) == 0)
			return -ENOENT;
	}

	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_RUN_END_CONTAINER];
	if (bind_text(q, 1, name) < 0 || bind_exit_code(q, 2, end->exit_code) < 0 ||
	    bind_int64_or_null(q, 3, end->signal > 0 ? end->signal : 0) < 0 ||
	    bind_text(q, 4, end->reason) < 0 || bind_text(q, 5, end->state) < 0 ||
	    bind_time(q, 6, end->ended_at_ms) < 0 || step_done(q) < 0)
		return -EIO;
	return changed_or_enoent(s);
}

int store_run_end(struct store *s, const char *name, int64_t run_id, const struct store_run_end *end)
{
	assert(s && name && end && end->state);
	return op_submit(s, &(struct store_op){ .kind = OP_RUN_END, .now_ms = end->ended_at_ms, .name = name,
						.run_id = run_id, .exit_code = end->exit_code, .signal = end->signal,
						.oom_killed = end->oom_killed, .detail = end->reason,
						.state = end->state });
}

int store_count_restart(struct store *s, const char *name)
{
	assert(s && name);
	return op_submit(s, &(struct store_op){ .kind = OP_COUNT_RESTART, .name = name });
}

static int count_restart_locked(struct store *s, const char *name)
{
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_COUNT_RESTART];

	if (bind_text(q, 1, name) < 0 || step_done(q) < 0)
		return -EIO;
	return changed_or_enoent(s);
}

static int record_oom_locked(struct store *s, const char *name, int64_t run_id, int64_t count, int64_t now_ms,
			     const char *detail)
{
	{
		_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_OOM_RUN];
		if (bind_text(q, 1, name) < 0 || bind_int64(q, 2, run_id) < 0 || bind_int64(q, 3, count) < 0 ||
		    step_done(q) < 0)
			return -EIO;
	}
	{
		_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_OOM_CONTAINER];
		if (bind_text(q, 1, name) < 0 || bind_int64(q, 2, count) < 0 || bind_time(q, 3, now_ms) < 0 ||
		    step_done(q) < 0)
			return -EIO;
		if (sqlite3_changes(s->db) == 0)
			return -ENOENT;
	}
	/* One event per process killed, so that counting 'oom-kill' events
	 * (v_oom_kills_per_hour) gives the number of kills, not the number of
	 * times supd looked at the counter. Capped: the counters above keep
	 * the exact number even if a bogus counter jump claims millions. */
	int64_t n = count < STORE_OOM_EVENTS_MAX ? count : STORE_OOM_EVENTS_MAX;
	for (int64_t i = 0; i < n; i++) {
		int r = event_locked(s, now_ms, name, "oom-kill", detail);
		if (r < 0)
			return r;
	}
	return 0;
}

int store_record_oom(struct store *s, const char *name, int64_t run_id, int64_t count, int64_t now_ms, const char *detail)
{
	assert(s && name);
	if (count <= 0)
		return -EINVAL;
	return op_submit(s, &(struct store_op){ .kind = OP_RECORD_OOM, .now_ms = now_ms, .name = name,
						.run_id = run_id, .count = count, .detail = detail });
}

int store_event(struct store *s, int64_t now_ms, const char *name, const char *type, const char *detail)
{
	assert(s && type);
	return op_submit(s, &(struct store_op){ .kind = OP_EVENT, .now_ms = now_ms, .name = name, .type = type,
						.detail = detail });
}

static int event_locked(struct store *s, int64_t now_ms, const char *name, const char *type, const char *detail)
{
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_EVENT];

	if (bind_time(q, 1, now_ms) < 0 || bind_text(q, 2, name) < 0 || bind_text(q, 3, type) < 0 ||
	    bind_text(q, 4, detail) < 0 || step_done(q) < 0)
		return -EIO;
	return 0;
}

static int prune_events_locked(struct store *s, int64_t older_than_ms, int max_rows, int *ret_deleted)
{
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_PRUNE_EVENTS];

	if (bind_time(q, 1, older_than_ms) < 0 || bind_int64(q, 2, max_rows) < 0 || step_done(q) < 0)
		return -EIO;
	if (ret_deleted)
		*ret_deleted = sqlite3_changes(s->db);
	return 0;
}

int store_prune_events(struct store *s, int64_t older_than_ms, int max_rows, int *ret_deleted)
{
	assert(s);
	if (max_rows <= 0)
		return -EINVAL;

	/* Not queued: it is upkeep, not a record, and its caller wants the
	 * count. Its own transaction (a savepoint inside a caller's) taken
	 * with BEGIN IMMEDIATE like every write: the batch is small, so the
	 * write lock is held only briefly and readers are never blocked (WAL). */
	int r = tx_begin(s);
	if (r < 0)
		return r;
	return tx_end(s, prune_events_locked(s, older_than_ms, max_rows, ret_deleted));
}

static int run_oom_seen_locked(struct store *s, const char *name, int64_t run_id, uint64_t oom_kill,
			       uint64_t oom_group_kill)
{
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_RUN_OOM_SEEN];
	if (bind_text(q, 1, name) < 0 || bind_int64(q, 2, run_id) < 0 || bind_int64(q, 3, (int64_t)oom_kill) < 0 ||
	    bind_int64(q, 4, (int64_t)oom_group_kill) < 0 || step_done(q) < 0)
		return -EIO;
	return changed_or_enoent(s);
}

int store_run_set_oom_seen(struct store *s, const char *name, int64_t run_id, uint64_t oom_kill, uint64_t oom_group_kill)
{
	assert(s && name);
	if (oom_kill > INT64_MAX || oom_group_kill > INT64_MAX)
		return -EINVAL;
	return op_submit(s, &(struct store_op){ .kind = OP_RUN_OOM_SEEN, .name = name, .run_id = run_id,
						.oom_kill_seen = oom_kill, .oom_group_kill_seen = oom_group_kill });
}

int op_apply(struct store *s, const struct store_op *op)
{
	switch (op->kind) {
	case OP_SYNC_CONTAINERS:
		return sync_locked(s, op->names, op->n_names, op->now_ms);
	case OP_SET_STATE:
		return set_state_locked(s, op->name, op->state, op->now_ms);
	case OP_RUN_BEGIN:
		return run_begin_locked(s, op->name, op->run_id, op->pid, op->pid_starttime, op->cgroup, op->state,
					op->now_ms);
	case OP_RUN_END: {
		struct store_run_end end = {
			.ended_at_ms = op->now_ms,
			.exit_code = op->exit_code,
			.signal = op->signal,
			.oom_killed = op->oom_killed,
			.reason = op->detail,
			.state = op->state,
		};
		return run_end_locked(s, op->name, op->run_id, &end);
	}
	case OP_COUNT_RESTART:
		return count_restart_locked(s, op->name);
	case OP_RECORD_OOM:
		return record_oom_locked(s, op->name, op->run_id, op->count, op->now_ms, op->detail);
	case OP_EVENT:
		return event_locked(s, op->now_ms, op->name, op->type, op->detail);
	case OP_RUN_OOM_SEEN:
		return run_oom_seen_locked(s, op->name, op->run_id, op->oom_kill_seen, op->oom_group_kill_seen);
	}
	assert(!"unknown store_op kind");
	return -EINVAL;
}
