/* store_read.c - the readers of the store (supctl, tests; see store.h).
 * Each borrows a cached statement and resets it before returning, so no
 * read snapshot outlives a call and a reader never pins the WAL. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "store-internal.h"

/* One row of CONTAINER_COLUMNS (store.c). */
static int read_container(sqlite3_stmt *q, struct store_container *c)
{
	int r;

	*c = (struct store_container){ 0 };
	column_text(q, 0, c->name, sizeof(c->name));
	column_text(q, 1, c->state, sizeof(c->state));
	r = column_time(q, 2, &c->state_since_ms);
	if (r < 0)
		return r;
	c->pid = column_int64_or(q, 3, 0);
	c->pid_starttime = (uint64_t)column_int64_or(q, 4, 0);
	column_text(q, 5, c->cgroup, sizeof(c->cgroup));
	r = column_time(q, 6, &c->started_at_ms);
	if (r < 0)
		return r;
	c->restarts = column_int64_or(q, 7, 0);
	c->oom_kills = column_int64_or(q, 8, 0);
	c->current_run = column_int64_or(q, 9, 0);
	c->last_exit_code = (int)column_int64_or(q, 10, -1);
	c->last_signal = (int)column_int64_or(q, 11, 0);
	column_text(q, 12, c->last_reason, sizeof(c->last_reason));
	c->removed = column_int64_or(q, 13, 0) != 0;
	return 0;
}

int store_list_containers(struct store *s, struct store_container **ret, int *ret_n)
{
	assert(s && ret && ret_n);
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_LIST_CONTAINERS];
	_cleanup_free_ struct store_container *v = NULL;
	int n = 0, cap = 0, rc, r;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		v = grow(v, n, &cap, sizeof(*v));
		r = read_container(q, &v[n]);
		if (r < 0)
			return r;
		n++;
	}
	if (rc != SQLITE_DONE)
		return -EIO;

	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

int store_get_container(struct store *s, const char *name, struct store_container *ret)
{
	assert(s && name && ret);
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_GET_CONTAINER];

	if (bind_text(q, 1, name) < 0)
		return -EIO;
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		return read_container(q, ret);
	case SQLITE_DONE:
		return -ENOENT;
	default:
		return -EIO;
	}
}

int store_list_runs(struct store *s, const char *name, int limit, struct store_run **ret, int *ret_n)
{
	assert(s && name && ret && ret_n);
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_LIST_RUNS];
	_cleanup_free_ struct store_run *v = NULL;
	int n = 0, cap = 0, rc, r;

	if (bind_text(q, 1, name) < 0 || bind_int64(q, 2, limit) < 0)
		return -EIO;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		v = grow(v, n, &cap, sizeof(*v));
		struct store_run *run = &v[n];
		*run = (struct store_run){
			.id = sqlite3_column_int64(q, 0),
			.pid = column_int64_or(q, 1, 0),
			.exit_code = (int)column_int64_or(q, 4, -1),
			.signal = (int)column_int64_or(q, 5, 0),
			.oom_killed = column_int64_or(q, 6, 0) != 0,
		};
		r = column_time(q, 2, &run->started_at_ms);
		if (r >= 0)
			r = column_time(q, 3, &run->ended_at_ms);
		if (r < 0)
			return r;
		column_text(q, 7, run->reason, sizeof(run->reason));
		n++;
	}
	if (rc != SQLITE_DONE)
		return -EIO;

	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

int store_list_events(struct store *s, const char *name, int64_t after_id, int limit,
		      struct store_event_row **ret, int *ret_n)
{
	assert(s && ret && ret_n);
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[name ? ST_LIST_EVENTS_ONE : ST_LIST_EVENTS_ALL];
	_cleanup_free_ struct store_event_row *v = NULL;
	int n = 0, cap = 0, rc, r;

	if (bind_int64(q, 1, after_id) < 0 || bind_int64(q, 2, limit) < 0 ||
	    (name && bind_text(q, 3, name) < 0))
		return -EIO;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		v = grow(v, n, &cap, sizeof(*v));
		struct store_event_row *e = &v[n];
		*e = (struct store_event_row){ .id = sqlite3_column_int64(q, 0) };
		r = column_time(q, 1, &e->time_ms);
		if (r < 0)
			return r;
		column_text(q, 2, e->container, sizeof(e->container));
		column_text(q, 3, e->type, sizeof(e->type));
		column_text(q, 4, e->detail, sizeof(e->detail));
		n++;
	}
	if (rc != SQLITE_DONE)
		return -EIO;

	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

int store_get_run(struct store *s, int64_t run_id, struct store_run_state *ret)
{
	assert(s && ret);
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_GET_RUN];

	if (bind_int64(q, 1, run_id) < 0)
		return -EIO;
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		break;
	case SQLITE_DONE:
		return -ENOENT;
	default:
		return -EIO;
	}
	struct store_run_state r = { .id = sqlite3_column_int64(q, 0) };
	column_text(q, 1, r.container, sizeof(r.container));
	r.pid = column_int64_or(q, 2, 0);
	r.pid_starttime = (uint64_t)column_int64_or(q, 3, 0);
	column_text(q, 4, r.cgroup, sizeof(r.cgroup));
	int e = column_time(q, 5, &r.started_at_ms);
	if (e < 0)
		return e;
	r.has_oom_seen = sqlite3_column_type(q, 6) != SQLITE_NULL;
	r.oom_kill_seen = (uint64_t)column_int64_or(q, 6, 0);
	r.oom_group_kill_seen = (uint64_t)column_int64_or(q, 7, 0);
	r.open = sqlite3_column_int(q, 8) != 0;
	r.oom_kills = column_int64_or(q, 9, 0);
	*ret = r;
	return 0;
}

int store_last_stop_was_clean(struct store *s, bool *ret_clean)
{
	assert(s && ret_clean);
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_LAST_DAEMON_EVENT];
	char type[32] = "";

	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		column_text(q, 0, type, sizeof(type));
		break;
	case SQLITE_DONE:
		break;
	default:
		return -EIO;
	}
	*ret_clean = strcmp(type, "supd-started") != 0;
	return 0;
}
