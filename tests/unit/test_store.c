/* test_store.c - unit tests for src/store.c.
 *
 * Most tests run on ":memory:"; the ones about files (read-only opens, WAL,
 * schema versions, transaction visibility to a second connection) use a
 * fresh directory under $TMPDIR. The test looks at the files with SQLite
 * directly to check what the store wrote or to forge a database it must
 * refuse. Set SUP_TEST_STORE_DB=PATH to keep the realistic database built
 * by test_dashboard_fixture (used to check the queries in db/README.md). */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "store_schema.h"
#include "tmpdir.h"

/* --- helpers ------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	return tmpdir_make("test_store");
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

#define assert_contains(hay, needle)                                                     \
	do {                                                                             \
		if (!strstr((hay), (needle)))                                            \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));     \
	} while (0)

/* Run SQL on a database file with a connection of our own. */
static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

/* The first column of the first row of a query, as an integer. */
static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

static void sql_text(const char *path, const char *sql, char *buf, size_t size)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	snprintf(buf, size, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static struct store *open_memory(void)
{
	struct store *s = NULL;
	struct sup_err err = { 0 };
	int r = store_open(":memory:", &s, &err);
	if (r < 0)
		fail_msg("store_open(:memory:): %d %s", r, err.msg);
	return s;
}

static struct store *open_file(const char *path)
{
	struct store *s = NULL;
	struct sup_err err = { 0 };
	int r = store_open(path, &s, &err);
	if (r < 0)
		fail_msg("store_open(%s): %d %s", path, r, err.msg);
	return s;
}

static struct store *open_ro(const char *path)
{
	struct store *s = NULL;
	struct sup_err err = { 0 };
	int r = store_open_readonly(path, &s, &err);
	if (r < 0)
		fail_msg("store_open_readonly(%s): %d %s", path, r, err.msg);
	return s;
}

static void sync_names(struct store *s, int64_t now, int n, ...)
{
	const char *names[16];
	va_list ap;
	assert_true(n <= 16);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		names[i] = va_arg(ap, const char *);
	va_end(ap);
	assert_int_equal(store_sync_containers(s, names, n, now), 0);
}

static struct store_container get(struct store *s, const char *name)
{
	struct store_container c;
	int r = store_get_container(s, name, &c);
	if (r < 0)
		fail_msg("store_get_container(%s): %d", name, r);
	return c;
}

static int count_events(struct store *s)
{
	struct store_event_row *ev = NULL;
	int n = -1;
	assert_int_equal(store_list_events(s, NULL, 0, -1, &ev, &n), 0);
	free(ev);
	return n;
}

/* 2023-11-14T22:13:20.000Z: an arbitrary base for fixed times. */
#define T0 INT64_C(1700000000000)

/* --- time ---------------------------------------------------------------- */

static void test_format_time(void **state)
{
	(void)state;
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000Z" },
		{ 1, "1970-01-01T00:00:00.001Z" },
		{ -1, "1969-12-31T23:59:59.999Z" },
		{ -1000, "1969-12-31T23:59:59.000Z" },
		{ -1001, "1969-12-31T23:59:58.999Z" },
		{ T0 + 123, "2023-11-14T22:13:20.123Z" },
		{ INT64_C(951782400000), "2000-02-29T00:00:00.000Z" },
		{ INT64_C(4107542399999), "2100-02-28T23:59:59.999Z" },
		{ INT64_C(253402300799999), "9999-12-31T23:59:59.999Z" },
		{ INT64_C(253402300800000), "" },
		{ INT64_C(-2203891200000), "1900-03-01T00:00:00.000Z" },
		{ INT64_C(-2203891201000), "1900-02-28T23:59:59.000Z" },
		{ INT64_C(-62167219200000), "0000-01-01T00:00:00.000Z" },
		{ INT64_C(-62167219200001), "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[32];
		store_format_time(cases[i].ms, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
}

/* Every time written comes back identical to the millisecond, through the
 * CHECK constraints (which make SQLite's strftime() print it back) and the
 * parser in store.c. */
static void test_time_round_trip(void **state)
{
	(void)state;
	struct store *s = open_memory();
	enum { N = 2000 };
	int64_t times[N];
	uint64_t x = 88172645463325252ULL;

	times[0] = 0;
	times[1] = 1;
	times[2] = 999;
	times[3] = INT64_C(951782400000) - 1; /* 1999-12-31T23:59:59.999Z */
	times[4] = INT64_C(253402300799999);
	for (int i = 5; i < N; i++) {
		/* xorshift: spread over 1970..2106, every millisecond value */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		times[i] = (int64_t)(x % (UINT64_C(1) << 42));
	}

	assert_int_equal(store_begin(s), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(store_event(s, times[i], NULL, "supd-started", NULL), 0);
	assert_int_equal(store_commit(s), 0);

	struct store_event_row *ev = NULL;
	int n = 0;
	assert_int_equal(store_list_events(s, NULL, 0, -1, &ev, &n), 0);
	assert_int_equal(n, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(ev[i].time_ms, times[i]);
	free(ev);

	/* and through the containers and runs columns */
	sync_names(s, 5, 1, "a");
	for (int i = 0; i < 50; i++) {
		int64_t t = times[100 + i], id = 0;
		assert_int_equal(store_run_begin(s, "a", 100 + i, 7, NULL, "starting", t, &id), 0);
		struct store_container c = get(s, "a");
		assert_int_equal(c.started_at_ms, t);
		assert_int_equal(c.state_since_ms, t);
		struct store_run_end end = { .ended_at_ms = t + 1, .exit_code = 0, .state = "exited" };
		assert_int_equal(store_run_end(s, "a", id, &end), 0);
		struct store_run *runs = NULL;
		assert_int_equal(store_list_runs(s, "a", 1, &runs, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(runs[0].started_at_ms, t);
		assert_int_equal(runs[0].ended_at_ms, t + 1);
		free(runs);
	}
	store_close(s);
}

/* What dashboards do: julianday() of the stored text gives the same
 * instant, so SQL arithmetic on times agrees with the C side. */
static void test_time_sql_view(void **state)
{
	(void)state;
	const char *path = tmp_path("timesql.db");
	struct store *s = open_file(path);
	int64_t t = T0 + 123;
	assert_int_equal(store_event(s, t, NULL, "supd-started", NULL), 0);
	store_close(s);

	char text[64];
	sql_text(path, "SELECT time FROM events", text, sizeof(text));
	assert_string_equal(text, "2023-11-14T22:13:20.123Z");
	assert_int_equal(sql_int(path, "SELECT CAST(ROUND((julianday(time) - 2440587.5) * 86400000.0) "
				       "AS INTEGER) FROM events"),
			 t);
	assert_int_equal(sql_int(path, "SELECT unixepoch(time) FROM events"), t / 1000);
}

/* --- open ---------------------------------------------------------------- */

static void test_open_memory(void **state)
{
	(void)state;
	assert_true(store_schema_version() >= 1);
	struct store *s = open_memory();
	struct store_container *v = (void *)1;
	int n = -1;
	assert_int_equal(store_list_containers(s, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
	assert_null(store_close(s));
	assert_null(store_close(NULL));
}

static void test_open_file_wal_and_version(void **state)
{
	(void)state;
	const char *path = tmp_path("wal.db");
	struct store *s = open_file(path);
	sync_names(s, T0, 1, "web");
	store_close(s);

	char mode[32];
	sql_text(path, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");
	assert_int_equal(sql_int(path, "PRAGMA user_version"), store_schema_version());
	/* kept after close so readers without write access to the directory
	 * can open the database while supd is down */
	char side[PATH_MAX + 128];
	snprintf(side, sizeof(side), "%s-shm", path);
	assert_int_equal(access(side, F_OK), 0);
	snprintf(side, sizeof(side), "%s-wal", path);
	assert_int_equal(access(side, F_OK), 0);

	/* reopening migrates nothing and keeps the data */
	s = open_file(path);
	assert_string_equal(get(s, "web").state, "stopped");
	store_close(s);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), store_schema_version());
}

static void test_open_error(void **state)
{
	(void)state;
	struct store *s = (void *)1;
	struct sup_err err = { 0 };
	assert_int_equal(store_open("/nonexistent-dir-for-test_store/sup.db", &s, &err), -EIO);
	assert_int_equal(err.code, -EIO);
	assert_contains(err.msg, "/nonexistent-dir-for-test_store/sup.db");
	assert_contains(err.msg, "No such file or directory");

	/* not an SQLite file */
	const char *path = tmp_path("garbage.db");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database\n", f);
	fclose(f);
	/* -EUCLEAN: a damaged file, with what to do about it */
	assert_int_equal(store_open(path, &s, &err), -EUCLEAN);
	assert_contains(err.msg, "not a database");
	assert_contains(err.msg, "move it");
	assert_int_equal(store_open_readonly(path, &s, &err), -EUCLEAN);
	assert_contains(err.msg, "not a database");
}

static void test_open_too_new(void **state)
{
	(void)state;
	const char *path = tmp_path("new.db");
	store_close(open_file(path));
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_schema_version() + 1);
	sql_exec(path, sql);

	struct store *s = NULL;
	struct sup_err err = { 0 };
	char want[128];
	snprintf(want, sizeof(want), "database schema version %d is newer than this supd (%d)",
		 store_schema_version() + 1, store_schema_version());
	assert_int_equal(store_open(path, &s, &err), -EPROTO);
	assert_int_equal(err.code, -EPROTO);
	assert_contains(err.msg, want);
	assert_null(s);
	/* and left untouched */
	assert_int_equal(sql_int(path, "PRAGMA user_version"), store_schema_version() + 1);

	sup_err_clear(&err);
	assert_int_equal(store_open_readonly(path, &s, &err), -EPROTO);
	assert_contains(err.msg, "is newer than this supctl");
	assert_null(s);
}

static void test_migration_is_atomic(void **state)
{
	(void)state;
	/* A foreign table in the way: migration 1 fails half-way... */
	const char *path = tmp_path("foreign.db");
	sql_exec(path, "CREATE TABLE runs (x)");

	struct store *s = NULL;
	struct sup_err err = { 0 };
	assert_int_equal(store_open(path, &s, &err), -EIO);
	assert_contains(err.msg, "migration 0001");
	assert_contains(err.msg, "already exists");
	/* ...and nothing of it stays */
	assert_int_equal(sql_int(path, "PRAGMA user_version"), 0);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'containers'"), 0);
}

/* --- read-only ----------------------------------------------------------- */

static void test_readonly_missing(void **state)
{
	(void)state;
	struct store *s = NULL;
	struct sup_err err = { 0 };
	const char *path = tmp_path("missing.db");
	assert_int_equal(store_open_readonly(path, &s, &err), -ENOENT);
	assert_int_equal(err.code, -ENOENT);
	assert_contains(err.msg, path);
	assert_null(s);
	/* and it did not create it */
	assert_int_equal(access(path, F_OK), -1);
}

static void test_readonly_uninitialized(void **state)
{
	(void)state;
	const char *path = tmp_path("empty.db");
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);

	struct store *s = NULL;
	struct sup_err err = { 0 };
	assert_int_equal(store_open_readonly(path, &s, &err), -EPROTO);
	assert_contains(err.msg, "not initialized");
	assert_null(s);

	/* store_open turns the same empty file into a database */
	store_close(open_file(path));
	s = open_ro(path);
	store_close(s);
}

static void test_readonly_reads_not_writes(void **state)
{
	(void)state;
	const char *path = tmp_path("ro.db");
	struct store *w = open_file(path);
	sync_names(w, T0, 2, "b", "a");
	assert_int_equal(store_event(w, T0, "a", "started", "pid 1"), 0);
	store_close(w);

	struct store *r = open_ro(path);
	struct store_container *v = NULL;
	int n = 0;
	assert_int_equal(store_list_containers(r, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "a");
	assert_string_equal(v[1].name, "b");
	free(v);
	assert_int_equal(count_events(r), 1);

	assert_int_equal(store_event(r, T0, NULL, "supd-started", NULL), -EIO);
	assert_int_equal(store_set_state(r, "a", "running", T0), -EIO);
	assert_int_equal(count_events(r), 1);
	store_close(r);
}

/* On a read-only store begin/commit bracket several reads in one snapshot;
 * the writer is not blocked meanwhile. */
static void test_readonly_snapshot(void **state)
{
	(void)state;
	const char *path = tmp_path("snapshot.db");
	struct store *w = open_file(path);
	struct store *r = open_ro(path);
	assert_int_equal(store_event(w, T0, NULL, "supd-started", NULL), 0);

	assert_int_equal(store_begin(r), 0);
	assert_int_equal(count_events(r), 1);
	assert_int_equal(store_event(w, T0 + 1, NULL, "supd-stopped", NULL), 0);
	assert_int_equal(count_events(r), 1);
	assert_int_equal(store_event(r, T0, NULL, "supd-started", NULL), -EIO);
	assert_int_equal(store_commit(r), 0);
	assert_int_equal(count_events(r), 2);
	store_close(r);
	store_close(w);
}

/* WAL: a reader is not blocked by supd holding the write lock and sees the
 * last committed state; it never waits for the busy timeout. */
static void test_reader_not_blocked_by_writer(void **state)
{
	(void)state;
	const char *path = tmp_path("concurrent.db");
	struct store *w = open_file(path);
	sync_names(w, T0, 1, "a");
	assert_int_equal(store_event(w, T0, "a", "started", NULL), 0);

	struct store *r = open_ro(path);
	assert_int_equal(store_begin(w), 0);
	assert_int_equal(store_event(w, T0 + 1, "a", "exited", NULL), 0);

	struct timespec t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(count_events(r), 1);
	struct store_container c;
	assert_int_equal(store_get_container(r, "a", &c), 0);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	int64_t ms = (t2.tv_sec - t1.tv_sec) * 1000 + (t2.tv_nsec - t1.tv_nsec) / 1000000;
	assert_in_range(ms, 0, 1000);

	assert_int_equal(store_commit(w), 0);
	assert_int_equal(count_events(r), 2);

	/* and the writer is not blocked by a reader's finished queries: the
	 * store resets its statements, so no snapshot stays open */
	assert_int_equal(store_event(w, T0 + 2, NULL, "supd-stopped", NULL), 0);
	assert_int_equal(count_events(r), 3);
	store_close(r);
	store_close(w);
}

/* --- writers ------------------------------------------------------------- */

static void test_sync_containers(void **state)
{
	(void)state;
	struct store *s = open_memory();
	struct store_container *v = NULL, c;
	int n = 0;

	sync_names(s, T0, 3, "web", "db", "cache");
	assert_int_equal(store_list_containers(s, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "cache");
	assert_string_equal(v[1].name, "db");
	assert_string_equal(v[2].name, "web");
	for (int i = 0; i < n; i++) {
		assert_string_equal(v[i].state, "stopped");
		assert_int_equal(v[i].state_since_ms, T0);
		assert_false(v[i].removed);
		assert_int_equal(v[i].pid, 0);
		assert_int_equal(v[i].pid_starttime, 0);
		assert_string_equal(v[i].cgroup, "");
		assert_int_equal(v[i].started_at_ms, 0);
		assert_int_equal(v[i].restarts, 0);
		assert_int_equal(v[i].oom_kills, 0);
		assert_int_equal(v[i].current_run, 0);
		assert_int_equal(v[i].last_exit_code, -1);
		assert_int_equal(v[i].last_signal, 0);
		assert_string_equal(v[i].last_reason, "");
	}
	free(v);

	/* db leaves the config: kept, marked removed, not listed */
	assert_int_equal(store_set_state(s, "db", "failed", T0 + 1), 0);
	assert_int_equal(store_count_restart(s, "db"), 0);
	sync_names(s, T0 + 2, 3, "web", "cache", "web");
	assert_int_equal(store_list_containers(s, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "cache");
	assert_string_equal(v[1].name, "web");
	free(v);
	c = get(s, "db");
	assert_true(c.removed);
	assert_string_equal(c.state, "failed");

	/* db comes back: the same row, history and counters kept */
	sync_names(s, T0 + 3, 1, "db");
	c = get(s, "db");
	assert_false(c.removed);
	assert_string_equal(c.state, "failed");
	assert_int_equal(c.state_since_ms, T0 + 1);
	assert_int_equal(c.restarts, 1);
	assert_true(get(s, "web").removed);
	assert_true(get(s, "cache").removed);

	/* an empty config removes everything */
	assert_int_equal(store_sync_containers(s, NULL, 0, T0 + 4), 0);
	assert_int_equal(store_list_containers(s, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);

	const char *bad[] = { "ok", "" };
	assert_int_equal(store_sync_containers(s, bad, 2, T0), -EINVAL);
	assert_int_equal(store_sync_containers(s, bad, -1, T0), -EINVAL);
	assert_int_equal(store_get_container(s, "ok", &c), -ENOENT);
	store_close(s);
}

static void test_set_state(void **state)
{
	(void)state;
	struct store *s = open_memory();
	sync_names(s, T0, 1, "web");

	assert_int_equal(store_set_state(s, "web", "starting", T0 + 10), 0);
	struct store_container c = get(s, "web");
	assert_string_equal(c.state, "starting");
	assert_int_equal(c.state_since_ms, T0 + 10);

	/* the same state again: state_since stays (uptime is not reset) */
	assert_int_equal(store_set_state(s, "web", "starting", T0 + 20), 0);
	assert_int_equal(get(s, "web").state_since_ms, T0 + 10);

	static const char *const states[] = { "running", "stopping", "exited", "oom-killed",
					      "failed", "stopped" };
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		assert_int_equal(store_set_state(s, "web", states[i], T0 + 100 + (int64_t)i), 0);
		c = get(s, "web");
		assert_string_equal(c.state, states[i]);
		assert_int_equal(c.state_since_ms, T0 + 100 + (int64_t)i);
	}

	assert_int_equal(store_set_state(s, "nope", "running", T0), -ENOENT);
	/* the CHECK constraint refuses unknown states */
	assert_int_equal(store_set_state(s, "web", "removed", T0), -EIO);
	assert_string_equal(get(s, "web").state, "stopped");
	store_close(s);
}

static void test_run_begin_end(void **state)
{
	(void)state;
	struct store *s = open_memory();
	struct store_container c;
	struct store_run *runs = NULL;
	int64_t id1 = 0, id2 = 0;
	int n = 0;

	sync_names(s, T0, 2, "web", "other");

	assert_int_equal(store_run_begin(s, "web", 1234, 987654321, "/sys/fs/cgroup/sup/web", "starting",
					 T0 + 1000, &id1),
			 0);
	assert_true(id1 > 0);
	c = get(s, "web");
	assert_string_equal(c.state, "starting");
	assert_int_equal(c.state_since_ms, T0 + 1000);
	assert_int_equal(c.pid, 1234);
	assert_int_equal(c.pid_starttime, 987654321);
	assert_string_equal(c.cgroup, "/sys/fs/cgroup/sup/web");
	assert_int_equal(c.started_at_ms, T0 + 1000);
	assert_int_equal(c.current_run, id1);

	assert_int_equal(store_list_runs(s, "web", 10, &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].id, id1);
	assert_int_equal(runs[0].pid, 1234);
	assert_int_equal(runs[0].started_at_ms, T0 + 1000);
	assert_int_equal(runs[0].ended_at_ms, 0);
	assert_int_equal(runs[0].exit_code, -1);
	assert_int_equal(runs[0].signal, 0);
	assert_false(runs[0].oom_killed);
	assert_string_equal(runs[0].reason, "");
	free(runs);

	assert_int_equal(store_set_state(s, "web", "running", T0 + 1050), 0);

	/* exits on its own */
	struct store_run_end end1 = {
		.ended_at_ms = T0 + 5000,
		.exit_code = 1,
		.signal = 0,
		.oom_killed = false,
		.reason = "exited(1)",
		.state = "exited",
	};
	assert_int_equal(store_run_end(s, "web", id1, &end1), 0);
	c = get(s, "web");
	assert_string_equal(c.state, "exited");
	assert_int_equal(c.state_since_ms, T0 + 5000);
	assert_int_equal(c.pid, 0);
	assert_int_equal(c.pid_starttime, 0);
	assert_int_equal(c.current_run, 0);
	assert_int_equal(c.last_exit_code, 1);
	assert_int_equal(c.last_signal, 0);
	assert_string_equal(c.last_reason, "exited(1)");
	assert_int_equal(c.oom_kills, 0);
	/* where and when it last ran stays visible */
	assert_string_equal(c.cgroup, "/sys/fs/cgroup/sup/web");
	assert_int_equal(c.started_at_ms, T0 + 1000);

	/* ending it again is refused, changes nothing */
	assert_int_equal(store_run_end(s, "web", id1, &end1), -ENOENT);

	/* second run: OOM-killed */
	assert_int_equal(store_run_begin(s, "web", 1300, 987660000, "/sys/fs/cgroup/sup/web", "starting",
					 T0 + 6000, &id2),
			 0);
	assert_true(id2 > id1);
	struct store_run_end end2 = {
		.ended_at_ms = T0 + 9000,
		.exit_code = -1,
		.signal = 9,
		.oom_killed = true,
		.reason = "oom-killed",
		.state = "oom-killed",
	};
	/* wrong container: no such run */
	assert_int_equal(store_run_end(s, "other", id2, &end2), -ENOENT);
	assert_int_equal(get(s, "web").current_run, id2);
	/* the kill is counted when it is seen, the run end does not count it again */
	assert_int_equal(store_record_oom(s, "web", id2, 1, T0 + 8990, "oom_kill 1"), 0);
	assert_int_equal(store_record_oom(s, "web", id2, 0, T0 + 8990, "none"), -EINVAL);
	assert_int_equal(store_record_oom(s, "nosuch", id2, 1, T0 + 8990, "x"), -ENOENT);
	assert_int_equal(get(s, "web").oom_kills, 1);
	assert_int_equal(store_run_end(s, "web", id2, &end2), 0);
	assert_int_equal(store_run_end(s, "web", id2, &end2), -ENOENT);
	c = get(s, "web");
	assert_string_equal(c.state, "oom-killed");
	assert_int_equal(c.oom_kills, 1);
	assert_int_equal(c.last_exit_code, -1);
	assert_int_equal(c.last_signal, 9);
	assert_string_equal(c.last_reason, "oom-killed");
	assert_int_equal(c.pid, 0);
	assert_int_equal(c.current_run, 0);

	/* newest first, limit honoured */
	assert_int_equal(store_list_runs(s, "web", 10, &runs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(runs[0].id, id2);
	assert_int_equal(runs[0].pid, 1300);
	assert_int_equal(runs[0].started_at_ms, T0 + 6000);
	assert_int_equal(runs[0].ended_at_ms, T0 + 9000);
	assert_int_equal(runs[0].exit_code, -1);
	assert_int_equal(runs[0].signal, 9);
	assert_true(runs[0].oom_killed);
	assert_string_equal(runs[0].reason, "oom-killed");
	assert_int_equal(runs[1].id, id1);
	assert_int_equal(runs[1].ended_at_ms, T0 + 5000);
	assert_int_equal(runs[1].exit_code, 1);
	assert_int_equal(runs[1].signal, 0);
	assert_false(runs[1].oom_killed);
	assert_string_equal(runs[1].reason, "exited(1)");
	free(runs);
	assert_int_equal(store_list_runs(s, "web", 1, &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].id, id2);
	free(runs);
	assert_int_equal(store_list_runs(s, "other", 10, &runs, &n), 0);
	assert_int_equal(n, 0);
	free(runs);

	/* a failed start: no exit code, no signal, a reason */
	int64_t id3 = 0;
	assert_int_equal(store_run_begin(s, "other", 1400, 0, NULL, "starting", T0 + 10000, NULL), 0);
	c = get(s, "other");
	id3 = c.current_run;
	assert_true(id3 > id2);
	assert_int_equal(c.pid_starttime, 0);
	assert_string_equal(c.cgroup, "");
	struct store_run_end end3 = {
		.ended_at_ms = T0 + 10001,
		.exit_code = -1,
		.reason = "exec: No such file or directory",
		.state = "failed",
	};
	assert_int_equal(store_run_end(s, "other", id3, &end3), 0);
	c = get(s, "other");
	assert_string_equal(c.state, "failed");
	assert_int_equal(c.last_exit_code, -1);
	assert_int_equal(c.last_signal, 0);
	assert_string_equal(c.last_reason, "exec: No such file or directory");

	/* exit code 0 is a value, not "none" */
	int64_t id4 = 0;
	assert_int_equal(store_run_begin(s, "other", 1500, 1, NULL, "starting", T0 + 20000, &id4), 0);
	struct store_run_end end4 = { .ended_at_ms = T0 + 20001, .exit_code = 0, .reason = "exited(0)",
				      .state = "exited" };
	assert_int_equal(store_run_end(s, "other", id4, &end4), 0);
	assert_int_equal(get(s, "other").last_exit_code, 0);

	/* unknown container: nothing inserted */
	assert_int_equal(store_run_begin(s, "nope", 1, 1, NULL, "starting", T0, &id1), -ENOENT);
	assert_int_equal(store_list_runs(s, "nope", 10, &runs, &n), 0);
	assert_int_equal(n, 0);
	free(runs);
	assert_int_equal(store_run_begin(s, "web", -1, 1, NULL, "starting", T0, &id1), -EINVAL);
	store_close(s);
}

/* run_begin/run_end change two tables; a failure in the second leaves the
 * first untouched, also inside a caller's batch. */
static void test_run_atomic(void **state)
{
	(void)state;
	struct store *s = open_memory();
	struct store_run *runs = NULL;
	int64_t id = 0;
	int n = 0;

	sync_names(s, T0, 1, "web");
	/* bad state: the runs row must not survive the failed containers update */
	assert_int_equal(store_run_begin(s, "web", 10, 1, NULL, "bogus", T0, &id), -EIO);
	assert_int_equal(store_list_runs(s, "web", -1, &runs, &n), 0);
	assert_int_equal(n, 0);
	free(runs);

	assert_int_equal(store_run_begin(s, "web", 10, 1, NULL, "starting", T0, &id), 0);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_event(s, T0 + 1, "web", "exited", "before"), 0);
	struct store_run_end bad = { .ended_at_ms = T0 + 2, .exit_code = 3, .reason = "exited(3)",
				     .state = "bogus" };
	assert_int_equal(store_run_end(s, "web", id, &bad), -EIO);
	assert_int_equal(store_event(s, T0 + 3, "web", "exited", "after"), 0);
	assert_int_equal(store_commit(s), 0);

	/* the run is still open, the container untouched, the batch kept */
	assert_int_equal(store_list_runs(s, "web", -1, &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].ended_at_ms, 0);
	assert_int_equal(runs[0].exit_code, -1);
	free(runs);
	struct store_container c = get(s, "web");
	assert_int_equal(c.pid, 10);
	assert_int_equal(c.current_run, id);
	assert_int_equal(c.last_exit_code, -1);
	assert_string_equal(c.state, "starting");
	assert_int_equal(count_events(s), 2);
	store_close(s);
}

static void test_count_restart(void **state)
{
	(void)state;
	struct store *s = open_memory();
	sync_names(s, T0, 2, "a", "b");
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_count_restart(s, "a"), 0);
	assert_int_equal(get(s, "a").restarts, 3);
	assert_int_equal(get(s, "b").restarts, 0);
	assert_int_equal(store_count_restart(s, "nope"), -ENOENT);
	store_close(s);
}

static void test_events(void **state)
{
	(void)state;
	struct store *s = open_memory();
	struct store_event_row *ev = NULL;
	int n = 0;

	assert_int_equal(store_list_events(s, NULL, 0, 10, &ev, &n), 0);
	assert_int_equal(n, 0);
	free(ev);

	assert_int_equal(store_event(s, T0, NULL, "supd-started", "version 0.1.0"), 0);
	assert_int_equal(store_event(s, T0 + 1, "web", "started", "pid 100"), 0);
	assert_int_equal(store_event(s, T0 + 2, "db", "started", NULL), 0);
	/* the clock stepped back: order is still the order of recording */
	assert_int_equal(store_event(s, T0 - 5000, "web", "exited", "exited(1)"), 0);
	assert_int_equal(store_event(s, T0 + 3, "web", "restart-scheduled", "in 100ms"), 0);
	assert_int_equal(store_event(s, T0 + 4, "", "config-reloaded", ""), 0);

	assert_int_equal(store_list_events(s, NULL, 0, -1, &ev, &n), 0);
	assert_int_equal(n, 6);
	for (int i = 1; i < n; i++)
		assert_true(ev[i].id > ev[i - 1].id);
	assert_int_equal(ev[0].time_ms, T0);
	assert_string_equal(ev[0].container, "");
	assert_string_equal(ev[0].type, "supd-started");
	assert_string_equal(ev[0].detail, "version 0.1.0");
	assert_string_equal(ev[1].container, "web");
	assert_string_equal(ev[1].type, "started");
	assert_string_equal(ev[1].detail, "pid 100");
	assert_string_equal(ev[2].container, "db");
	assert_string_equal(ev[2].detail, "");
	assert_int_equal(ev[3].time_ms, T0 - 5000);
	assert_string_equal(ev[3].type, "exited");
	assert_string_equal(ev[5].container, "");
	assert_string_equal(ev[5].type, "config-reloaded");
	int64_t ids[6];
	for (int i = 0; i < 6; i++)
		ids[i] = ev[i].id;
	free(ev);

	/* after_id: strictly after */
	assert_int_equal(store_list_events(s, NULL, ids[3], -1, &ev, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].id, ids[4]);
	assert_int_equal(ev[1].id, ids[5]);
	free(ev);

	/* limit: the oldest ones after after_id */
	assert_int_equal(store_list_events(s, NULL, ids[0], 2, &ev, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].id, ids[1]);
	assert_int_equal(ev[1].id, ids[2]);
	free(ev);
	assert_int_equal(store_list_events(s, NULL, 0, 0, &ev, &n), 0);
	assert_int_equal(n, 0);
	free(ev);

	/* name filter, alone and combined */
	assert_int_equal(store_list_events(s, "web", 0, -1, &ev, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ev[0].id, ids[1]);
	assert_int_equal(ev[1].id, ids[3]);
	assert_int_equal(ev[2].id, ids[4]);
	free(ev);
	assert_int_equal(store_list_events(s, "web", ids[1], 1, &ev, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].id, ids[3]);
	free(ev);
	assert_int_equal(store_list_events(s, "nope", 0, -1, &ev, &n), 0);
	assert_int_equal(n, 0);
	free(ev);

	/* long details are cut to the buffer, never overflow it */
	char big[2000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(store_event(s, T0, "web", "exited", big), 0);
	assert_int_equal(store_list_events(s, "web", ids[5], -1, &ev, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(ev[0].detail), sizeof(ev[0].detail) - 1);
	free(ev);
	store_close(s);
}

/* --- transactions -------------------------------------------------------- */

static void test_begin_commit_nesting(void **state)
{
	(void)state;
	const char *path = tmp_path("nest.db");
	struct store *w = open_file(path);
	struct store *r = open_ro(path);

	assert_int_equal(store_commit(w), -EINVAL);

	assert_int_equal(store_begin(w), 0);
	assert_int_equal(store_event(w, T0, NULL, "supd-started", NULL), 0);
	assert_int_equal(store_begin(w), 0);
	assert_int_equal(store_event(w, T0 + 1, NULL, "config-reloaded", NULL), 0);
	assert_int_equal(store_commit(w), 0);
	/* inner commit: nothing visible yet */
	assert_int_equal(count_events(r), 0);
	assert_int_equal(count_events(w), 2);
	assert_int_equal(store_commit(w), 0);
	assert_int_equal(count_events(r), 2);

	/* implicit transactions of the writers nest inside a batch too */
	assert_int_equal(store_begin(w), 0);
	sync_names(w, T0, 1, "web");
	int64_t id = 0;
	assert_int_equal(store_run_begin(w, "web", 5, 5, NULL, "starting", T0, &id), 0);
	assert_int_equal(store_get_container(r, "web", &(struct store_container){ 0 }), -ENOENT);
	assert_int_equal(store_commit(w), 0);
	assert_int_equal(get(r, "web").current_run, id);
	assert_int_equal(store_commit(w), -EINVAL);

	/* closing with a batch open rolls it back */
	assert_int_equal(store_begin(w), 0);
	assert_int_equal(store_event(w, T0 + 2, NULL, "supd-stopped", NULL), 0);
	store_close(w);
	assert_int_equal(count_events(r), 2);
	store_close(r);
}

/* A small but realistic history, for the example queries in db/README.md:
 * SUP_TEST_STORE_DB=/tmp/x.db ./test_store, then sqlite3 /tmp/x.db. */
static void test_dashboard_fixture(void **state)
{
	(void)state;
	const char *keep = getenv("SUP_TEST_STORE_DB");
	const char *path = keep && *keep ? keep : tmp_path("dashboard.db");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	int64_t t = now - 3 * 3600 * 1000; /* three hours ago */
	int64_t id;

	unlink(path);
	struct store *s = open_file(path);
	assert_int_equal(store_event(s, t, NULL, "supd-started", "sup 0.1.0"), 0);
	sync_names(s, t, 4, "web", "db", "worker", "old");

	/* web: up for three hours */
	assert_int_equal(store_run_begin(s, "web", 101, 5001, "/sys/fs/cgroup/sup/web", "starting", t, &id), 0);
	assert_int_equal(store_event(s, t, "web", "started", "pid 101"), 0);
	assert_int_equal(store_set_state(s, "web", "running", t + 50), 0);

	/* db: OOM-killed twice, restarted, now running */
	for (int i = 0; i < 3; i++) {
		int64_t at = t + i * 3600 * 1000 / 2;
		assert_int_equal(store_run_begin(s, "db", 200 + i, 6000 + (uint64_t)i,
						 "/sys/fs/cgroup/sup/db", "starting", at, &id),
				 0);
		assert_int_equal(store_event(s, at, "db", "started", NULL), 0);
		assert_int_equal(store_set_state(s, "db", "running", at + 20), 0);
		if (i == 2)
			break;
		struct store_run_end end = { .ended_at_ms = at + 600000, .exit_code = -1, .signal = 9,
					     .oom_killed = true, .reason = "oom-killed",
					     .state = "oom-killed" };
		assert_int_equal(store_record_oom(s, "db", id, 1, end.ended_at_ms, "memory.max 64M"), 0);
		assert_int_equal(store_run_end(s, "db", id, &end), 0);
		assert_int_equal(store_count_restart(s, "db"), 0);
		assert_int_equal(store_event(s, end.ended_at_ms, "db", "restart-scheduled", "in 100ms"), 0);
	}

	/* worker: keeps failing, hits the start limit */
	for (int i = 0; i < 4; i++) {
		int64_t at = now - 20 * 60 * 1000 + i * 1000;
		assert_int_equal(store_run_begin(s, "worker", 300 + i, 7000, NULL, "starting", at, &id), 0);
		struct store_run_end end = { .ended_at_ms = at + 10, .exit_code = 1,
					     .reason = "exited(1)", .state = i == 3 ? "failed" : "exited" };
		assert_int_equal(store_run_end(s, "worker", id, &end), 0);
		assert_int_equal(store_event(s, at + 10, "worker", "exited", "exited(1)"), 0);
		if (i < 3) {
			assert_int_equal(store_count_restart(s, "worker"), 0);
			assert_int_equal(store_event(s, at + 10, "worker", "restart-scheduled", "in 1s"), 0);
		}
	}
	assert_int_equal(store_event(s, now - 20 * 60 * 1000 + 3100, "worker", "failed", "start limit 3/60s hit"), 0);

	/* old: left the config */
	sync_names(s, now - 60000, 3, "web", "db", "worker");
	assert_int_equal(store_event(s, now - 60000, NULL, "config-reloaded", "removed: old"), 0);
	store_close(s);

	assert_int_equal(sql_int(path, "SELECT count(*) FROM containers WHERE removed = 0"), 3);
	assert_int_equal(sql_int(path, "SELECT oom_kills FROM containers WHERE name = 'db'"), 2);
}

/* --- event pruning --------------------------------------------------------- */

static void test_prune_events(void **state)
{
	(void)state;
	const char *path = tmp_path("prune.db");
	struct store *w = open_file(path);
	struct store *r = open_ro(path);
	int deleted = -1;

	/* Recorded out of time order (the clock stepped): pruning goes by
	 * time, the age that events_keep is about. */
	static const int64_t offsets[] = { 5, 1, 3, 2, 10, 20, 4 };
	int64_t ids[7];
	for (int i = 0; i < 7; i++) {
		assert_int_equal(store_event(w, T0 + offsets[i], "web", "started", NULL), 0);
		struct store_event_row *ev = NULL;
		int n = 0;
		assert_int_equal(store_list_events(w, NULL, 0, -1, &ev, &n), 0);
		ids[i] = ev[n - 1].id;
		free(ev);
	}

	assert_int_equal(store_prune_events(w, T0 + 10, 0, &deleted), -EINVAL);
	assert_int_equal(store_prune_events(w, T0 + 10, -1, &deleted), -EINVAL);
	assert_int_equal(count_events(r), 7);

	/* the two oldest of those before T0 + 10: T0+1 and T0+2 */
	assert_int_equal(store_prune_events(w, T0 + 10, 2, &deleted), 0);
	assert_int_equal(deleted, 2);
	assert_int_equal(count_events(r), 5);
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE id IN (%lld, %lld)", (long long)ids[1],
		 (long long)ids[3]);
	assert_int_equal(sql_int(path, sql), 0);

	/* the rest before the cutoff (strictly before: T0 + 10 stays) */
	assert_int_equal(store_prune_events(w, T0 + 10, 100, &deleted), 0);
	assert_int_equal(deleted, 3);
	assert_int_equal(store_prune_events(w, T0 + 10, 100, NULL), 0);
	assert_int_equal(store_prune_events(w, T0 + 10, 100, &deleted), 0);
	assert_int_equal(deleted, 0);
	char left[64], want[64];
	sql_text(path, "SELECT group_concat(id) FROM (SELECT id FROM events ORDER BY id)", left, sizeof(left));
	snprintf(want, sizeof(want), "%lld,%lld", (long long)ids[4], (long long)ids[5]);
	assert_string_equal(left, want);

	/* times the database cannot hold delete nothing, rather than all */
	assert_int_equal(store_prune_events(w, INT64_MAX, 100, &deleted), 0);
	assert_int_equal(deleted, 0);
	assert_int_equal(store_prune_events(w, INT64_MIN, 100, &deleted), 0);
	assert_int_equal(deleted, 0);

	/* inside a caller's batch it is a savepoint: visible at the commit */
	assert_int_equal(store_begin(w), 0);
	assert_int_equal(store_prune_events(w, T0 + 15, 100, &deleted), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(count_events(r), 2);
	assert_int_equal(store_commit(w), 0);
	assert_int_equal(count_events(r), 1);

	/* a reader cannot prune */
	assert_int_equal(store_prune_events(r, T0 + 100, 100, &deleted), -EIO);
	assert_int_equal(count_events(r), 1);

	/* the other tables are history too and are left alone */
	sync_names(w, T0, 1, "web");
	int64_t id = 0;
	assert_int_equal(store_run_begin(w, "web", 7, 7, NULL, "starting", T0, &id), 0);
	assert_int_equal(store_prune_events(w, T0 + 1000, 100, &deleted), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(get(w, "web").current_run, id);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM runs"), 1);
	store_close(r);
	store_close(w);
}

/* A long backlog goes in batches of max_rows, never in one transaction. */
static void test_prune_events_batches(void **state)
{
	(void)state;
	struct store *s = open_memory();
	int deleted = -1, batches = 0;

	assert_int_equal(store_begin(s), 0);
	for (int i = 0; i < 2500; i++)
		assert_int_equal(store_event(s, T0 + i, NULL, "config-reloaded", NULL), 0);
	assert_int_equal(store_commit(s), 0);

	do {
		assert_int_equal(store_prune_events(s, T0 + 2000, 300, &deleted), 0);
		assert_true(deleted <= 300);
		batches++;
	} while (deleted == 300);
	assert_int_equal(batches, 7); /* 6 * 300 + 200 */
	assert_int_equal(count_events(s), 500);

	struct store_event_row *ev = NULL;
	int n = 0;
	assert_int_equal(store_list_events(s, NULL, 0, 1, &ev, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].time_ms, T0 + 2000);
	free(ev);
	store_close(s);
}

/* --- OOM events ------------------------------------------------------------- */

/* One 'oom-kill' event per process killed, so counting events counts kills. */
static void test_record_oom_events(void **state)
{
	(void)state;
	struct store *s = open_memory();
	struct store_event_row *ev = NULL;
	int64_t id = 0;
	int n = 0;

	sync_names(s, T0, 1, "db");
	assert_int_equal(store_run_begin(s, "db", 10, 10, NULL, "starting", T0, &id), 0);
	assert_int_equal(store_record_oom(s, "db", id, 3, T0 + 5, "3 process(es) killed"), 0);
	assert_int_equal(store_record_oom(s, "db", id, 1, T0 + 9, "1 process(es) killed"), 0);
	assert_int_equal(get(s, "db").oom_kills, 4);
	assert_int_equal(store_list_events(s, "db", 0, -1, &ev, &n), 0);
	assert_int_equal(n, 4);
	for (int i = 0; i < n; i++) {
		assert_string_equal(ev[i].type, "oom-kill");
		assert_int_equal(ev[i].time_ms, i < 3 ? T0 + 5 : T0 + 9);
		assert_string_equal(ev[i].detail, i < 3 ? "3 process(es) killed" : "1 process(es) killed");
	}
	free(ev);

	/* a garbage counter jump: the counters keep it, the log is bounded */
	assert_int_equal(store_record_oom(s, "db", id, INT64_C(1) << 40, T0 + 10, "bogus"), 0);
	assert_int_equal(get(s, "db").oom_kills, 4 + (INT64_C(1) << 40));
	assert_int_equal(count_events(s), 4 + 10000);
	store_close(s);
}

/* --- dashboard views (migration 0002) -------------------------------------- */

/* T0 is 2023-11-14T22:13:20.000Z */
#define HOUR INT64_C(3600000)

static void test_views(void **state)
{
	(void)state;
	const char *path = tmp_path("views.db");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	int64_t id;
	char text[1024];

	struct store *s = open_file(path);
	sync_names(s, T0, 4, "web", "db", "worker", "gone");

	/* web: exits in hour 22, restarted by the policy in hour 23, running
	 * since 90 s ago */
	assert_int_equal(store_run_begin(s, "web", 100, 1, NULL, "starting", T0, &id), 0);
	struct store_run_end exited = { .ended_at_ms = T0 + 1000, .exit_code = 1, .reason = "exited(1)",
					.state = "backoff" };
	assert_int_equal(store_run_end(s, "web", id, &exited), 0);
	assert_int_equal(store_count_restart(s, "web"), 0);
	assert_int_equal(store_run_begin(s, "web", 101, 2, NULL, "starting", T0 + HOUR, &id), 0);
	assert_int_equal(store_run_end(s, "web", id, &exited), 0);
	assert_int_equal(store_count_restart(s, "web"), 0);
	assert_int_equal(store_run_begin(s, "web", 102, 3, NULL, "starting", now - 90000, &id), 0);
	assert_int_equal(store_set_state(s, "web", "running", now - 89000), 0);

	/* db: 2 OOM kills in hour 22, one in hour 23, then it ended */
	assert_int_equal(store_run_begin(s, "db", 200, 1, NULL, "starting", T0 + 10, &id), 0);
	assert_int_equal(store_record_oom(s, "db", id, 2, T0 + 2000, "2 process(es) killed"), 0);
	assert_int_equal(store_record_oom(s, "db", id, 1, T0 + HOUR, "1 process(es) killed"), 0);
	struct store_run_end oom = { .ended_at_ms = T0 + HOUR + 5, .exit_code = -1, .signal = 9,
				     .oom_killed = true, .reason = "oom-killed", .state = "oom-killed" };
	assert_int_equal(store_run_end(s, "db", id, &oom), 0);

	/* worker: a start that cannot succeed */
	assert_int_equal(store_run_begin(s, "worker", 0, 0, NULL, "starting", T0 + 20, &id), 0);
	struct store_run_end failed = { .ended_at_ms = T0 + 20, .exit_code = -1,
					.reason = "exec /bin/x: No such file or directory", .state = "failed" };
	assert_int_equal(store_run_end(s, "worker", id, &failed), 0);

	/* gone: ran twice, then left the configuration */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(store_run_begin(s, "gone", 300 + i, 1, NULL, "starting", T0 + 30 + i, &id), 0);
		assert_int_equal(store_run_end(s, "gone", id, &exited), 0);
	}
	sync_names(s, T0 + 40, 3, "web", "db", "worker");
	store_close(s);

	/* v_containers: configured ones only; uptime only with a run going */
	sql_text(path, "SELECT group_concat(name || ' ' || state || ' ' || ifnull(pid, '-') || ' ' || "
		       "ifnull(uptime_s, '-') || ' ' || restarts || ' ' || oom_kills || ' ' || "
		       "ifnull(last_exit_code, '-') || ' ' || ifnull(last_signal, '-') || ' ' || "
		       "ifnull(last_reason, '-'), '; ') FROM (SELECT * FROM v_containers ORDER BY name)",
		 text, sizeof(text));
	/* uptime: 90 s, give or take the time this test takes */
	char want[1024];
	int64_t up = sql_int(path, "SELECT uptime_s FROM v_containers WHERE name = 'web'");
	assert_in_range(up, 89, 100);
	snprintf(want, sizeof(want),
		 "db oom-killed - - 0 3 - 9 oom-killed; "
		 "web running 102 %lld 2 0 1 - exited(1); "
		 "worker failed - - 0 0 - - exec /bin/x: No such file or directory",
		 (long long)up);
	assert_string_equal(text, want);
	sql_text(path, "SELECT started_at || ' ' || state_since FROM v_containers WHERE name = 'db'", text,
		 sizeof(text));
	assert_string_equal(text, "2023-11-14T22:13:20.010Z 2023-11-14T23:13:20.005Z");
	assert_in_range(sql_int(path, "SELECT in_state_s FROM v_containers WHERE name = 'web'"), 88, 100);

	/* v_restarts_per_hour: history, removed containers included */
	sql_text(path, "SELECT group_concat(container || ' ' || hour || ' ' || starts || ' ' || restarts, '; ') "
		       "FROM (SELECT * FROM v_restarts_per_hour WHERE hour < '2024' ORDER BY container, hour)",
		 text, sizeof(text));
	assert_string_equal(text, "db 2023-11-14T22:00:00Z 1 0; "
				  "gone 2023-11-14T22:00:00Z 2 1; "
				  "web 2023-11-14T22:00:00Z 1 0; "
				  "web 2023-11-14T23:00:00Z 1 1; "
				  "worker 2023-11-14T22:00:00Z 1 0");
	/* with web's third run, 90 s ago: as many restarts as containers.restarts */
	assert_int_equal(sql_int(path, "SELECT sum(restarts) FROM v_restarts_per_hour WHERE container = 'web'"), 2);
	/* an hour is a time SQLite reads */
	assert_int_equal(sql_int(path, "SELECT count(*) FROM v_restarts_per_hour WHERE julianday(hour) IS NULL"), 0);

	/* v_oom_kills_per_hour: by the hour the kills were seen */
	sql_text(path, "SELECT group_concat(container || ' ' || hour || ' ' || oom_kills, '; ') "
		       "FROM (SELECT * FROM v_oom_kills_per_hour ORDER BY container, hour)",
		 text, sizeof(text));
	assert_string_equal(text, "db 2023-11-14T22:00:00Z 2; db 2023-11-14T23:00:00Z 1");
	assert_int_equal(sql_int(path, "SELECT sum(oom_kills) FROM v_oom_kills_per_hour"),
			 sql_int(path, "SELECT sum(oom_kills) FROM containers"));

	/* v_failed */
	sql_text(path, "SELECT group_concat(name || ' ' || since || ' ' || last_reason, '; ') FROM v_failed", text,
		 sizeof(text));
	assert_string_equal(text, "worker 2023-11-14T22:13:20.020Z exec /bin/x: No such file or directory");
	assert_true(sql_int(path, "SELECT failed_s FROM v_failed") > 0);
}

static void test_view_recent_events(void **state)
{
	(void)state;
	const char *path = tmp_path("recent.db");
	struct store *s = open_file(path);

	assert_int_equal(store_begin(s), 0);
	for (int i = 0; i < 1005; i++)
		assert_int_equal(store_event(s, T0 + i, i % 2 ? "web" : NULL, "started", "x"), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);

	assert_int_equal(sql_int(path, "SELECT count(*) FROM v_recent_events"), 1000);
	assert_int_equal(sql_int(path, "SELECT id FROM v_recent_events LIMIT 1"),
			 sql_int(path, "SELECT max(id) FROM events"));
	assert_int_equal(sql_int(path, "SELECT min(id) FROM v_recent_events"),
			 sql_int(path, "SELECT max(id) - 999 FROM events"));
	char text[128];
	sql_text(path, "SELECT time || ' ' || ifnull(container, '-') || ' ' || type || ' ' || detail "
		       "FROM v_recent_events LIMIT 1",
		 text, sizeof(text));
	assert_string_equal(text, "2023-11-14T22:13:21.004Z - started x");
}

/* Migration 0002 (and any later one) applies to a database supd created
 * at schema version 1, keeping its rows. */
static void test_migrate_from_v1(void **state)
{
	(void)state;
	const char *path = tmp_path("v1.db");
	assert_true(store_n_migrations >= 2);
	sql_exec(path, store_migrations[0]);
	sql_exec(path, "PRAGMA user_version = 1; PRAGMA journal_mode = WAL;"
		       "INSERT INTO containers (name, state, state_since, created_at, updated_at) VALUES "
		       "('web', 'failed', '2023-11-14T22:13:20.000Z', '2023-11-14T22:13:20.000Z', "
		       "'2023-11-14T22:13:20.000Z');"
		       "INSERT INTO events (time, container, type) VALUES "
		       "('2023-11-14T22:13:20.000Z', 'web', 'oom-kill');");

	struct store *s = open_file(path);
	store_close(s);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND name IN "
				       "('v_containers', 'v_restarts_per_hour', 'v_oom_kills_per_hour', "
				       "'v_failed', 'v_recent_events')"),
			 5);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM v_failed WHERE name = 'web'"), 1);
	assert_int_equal(sql_int(path, "SELECT oom_kills FROM v_oom_kills_per_hour WHERE container = 'web'"), 1);
	/* and read-only openers (supctl) accept the migrated file */
	store_close(open_ro(path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_time_round_trip),
		cmocka_unit_test(test_time_sql_view),
		cmocka_unit_test(test_open_memory),
		cmocka_unit_test(test_open_file_wal_and_version),
		cmocka_unit_test(test_open_error),
		cmocka_unit_test(test_open_too_new),
		cmocka_unit_test(test_migration_is_atomic),
		cmocka_unit_test(test_readonly_missing),
		cmocka_unit_test(test_readonly_uninitialized),
		cmocka_unit_test(test_readonly_reads_not_writes),
		cmocka_unit_test(test_readonly_snapshot),
		cmocka_unit_test(test_reader_not_blocked_by_writer),
		cmocka_unit_test(test_sync_containers),
		cmocka_unit_test(test_set_state),
		cmocka_unit_test(test_run_begin_end),
		cmocka_unit_test(test_run_atomic),
		cmocka_unit_test(test_count_restart),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_begin_commit_nesting),
		cmocka_unit_test(test_dashboard_fixture),
		cmocka_unit_test(test_prune_events),
		cmocka_unit_test(test_prune_events_batches),
		cmocka_unit_test(test_record_oom_events),
		cmocka_unit_test(test_views),
		cmocka_unit_test(test_view_recent_events),
		cmocka_unit_test(test_migrate_from_v1),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
