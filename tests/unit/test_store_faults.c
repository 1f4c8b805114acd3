/* test_store_faults.c - unit tests for the store when the database fails:
 * the backlog (src/store_queue.c) keeps writes the database cannot commit
 * and catches up in order; run ids do not depend on the database; files
 * supd must not use are refused at open with a message saying what to do.
 *
 * Each test uses a database file in a fresh directory under $TMPDIR and a
 * second SQLite connection that plays the other process: the stuck writer
 * holding the write lock, or the one that forges a damaged file. */
#include <errno.h>
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "tmpdir.h"

#define T0 1700000000000LL

static int setup(void **state)
{
	(void)state;
	return tmpdir_make("test_store_faults");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

/* supd's store on path with containers web and db, in batch mode, failing
 * at once instead of waiting for a lock. */
static struct store *open_batch(const char *path)
{
	struct store *s = NULL;
	struct sup_err err = { 0 };
	const char *names[] = { "db", "web" };
	assert_int_equal(store_open(path, &s, &err), 0);
	assert_int_equal(store_sync_containers(s, names, 2, T0), 0);
	store_set_autobatch(s, true);
	store_set_busy_timeout(s, 0);
	return s;
}

/* The other process: a connection holding the write lock until unlocked. */
static sqlite3 *lock_db(const char *path)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void unlock_db(sqlite3 *db)
{
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t count_rows(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void pending_is(struct store *s, size_t want)
{
	struct store_backlog b;
	store_get_backlog(s, &b);
	assert_int_equal(b.pending, want);
}

/* A locked database: writes wait in memory, readers see the old state,
 * and the catch-up writes everything in order with the ids handed out. */
static void test_locked_writes_wait_and_catch_up(void **state)
{
	(void)state;
	const char *path = tmp_path("locked.db");
	struct store *s = open_batch(path);
	int64_t id1 = 0, id2 = 0;

	assert_int_equal(store_flush(s), 0);
	sqlite3 *other = lock_db(path);

	assert_int_equal(store_run_begin(s, "web", 100, 5, "/cg/web", "starting", T0 + 1, &id1), 0);
	assert_int_equal(store_set_state(s, "web", "running", T0 + 2), 0);
	assert_int_equal(store_event(s, T0 + 3, "web", "started", "pid 100"), 0);
	struct store_run_end end = { .ended_at_ms = T0 + 4, .exit_code = 3, .reason = "exited(3)", .state = "backoff" };
	assert_int_equal(store_run_end(s, "web", id1, &end), 0);
	assert_int_equal(store_count_restart(s, "web"), 0);
	assert_int_equal(store_run_begin(s, "web", 101, 6, "/cg/web", "starting", T0 + 5, &id2), 0);
	assert_int_equal(store_record_oom(s, "web", id2, 2, T0 + 6, "2 killed"), 0);
	assert_int_equal(id2, id1 + 1);
	pending_is(s, 7);

	/* Fails at once (busy timeout 0), keeps everything, says why. */
	assert_int_equal(store_flush(s), -EBUSY);
	assert_int_equal(store_flush(s), -EBUSY);
	struct store_backlog b;
	store_get_backlog(s, &b);
	assert_int_equal(b.pending, 7);
	assert_int_equal(b.committed, 0);
	assert_non_null(strstr(b.error, "locked"));
	/* A reader is not blocked and sees the state before. */
	assert_int_equal(count_rows(path, "SELECT count(*) FROM runs"), 0);

	unlock_db(other);
	assert_int_equal(store_flush(s), 0);
	pending_is(s, 0);
	store_get_backlog(s, &b);
	assert_int_equal(b.committed, 7);
	assert_int_equal(b.rejected, 0);

	assert_int_equal(count_rows(path, "SELECT count(*) FROM runs"), 2);
	assert_int_equal(count_rows(path, "SELECT min(id) FROM runs"), id1);
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT exit_code = 3 AND ended_at IS NOT NULL FROM runs WHERE id = %lld",
		 (long long)id1);
	assert_int_equal(count_rows(path, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT oom_kills FROM runs WHERE id = %lld AND ended_at IS NULL", (long long)id2);
	assert_int_equal(count_rows(path, sql), 2);
	snprintf(sql, sizeof(sql), "SELECT current_run = %lld AND restarts = 1 AND oom_kills = 2 AND pid = 101 "
		 "FROM containers WHERE name = 'web'", (long long)id2);
	assert_int_equal(count_rows(path, sql), 1);
	/* In order: started, then the two oom-kill events. */
	assert_int_equal(count_rows(path, "SELECT group_concat(type) = 'started,oom-kill,oom-kill' FROM "
				     "(SELECT type FROM events ORDER BY id)"), 1);
	store_close(s);
}

/* A full backlog drops new writes and counts them; the older ones stay. */
static void test_backlog_cap_drops_and_counts(void **state)
{
	(void)state;
	const char *path = tmp_path("cap.db");
	struct store *s = open_batch(path);
	store_set_backlog_limit(s, 3, 1 << 20);
	sqlite3 *other = lock_db(path);

	for (int i = 0; i < 5; i++) {
		char detail[32];
		snprintf(detail, sizeof(detail), "n%d", i);
		assert_int_equal(store_event(s, T0 + i, NULL, "test", detail), 0);
	}
	struct store_backlog b;
	store_get_backlog(s, &b);
	assert_int_equal(b.pending, 3);
	assert_int_equal(b.dropped, 2);
	assert_true(b.pending_bytes > 0);

	assert_int_equal(store_flush(s), -EBUSY);
	unlock_db(other);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(count_rows(path, "SELECT group_concat(detail) = 'n0,n1,n2' FROM "
				     "(SELECT detail FROM events WHERE type = 'test' ORDER BY id)"), 1);

	/* The byte cap too. */
	store_set_backlog_limit(s, 100, 1);
	assert_int_equal(store_event(s, T0 + 9, NULL, "test", "big"), 0);
	store_get_backlog(s, &b);
	assert_int_equal(b.pending, 0);
	assert_int_equal(b.dropped, 3);
	store_close(s);
}

/* A write the database refuses outright is skipped alone and counted; the
 * writes around it are committed. */
static void test_rejected_write_is_skipped(void **state)
{
	(void)state;
	const char *path = tmp_path("rejected.db");
	struct store *s = open_batch(path);

	assert_int_equal(store_event(s, T0, NULL, "before", NULL), 0);
	assert_int_equal(store_set_state(s, "nosuch", "running", T0 + 1), 0);
	assert_int_equal(store_event(s, T0 + 2, NULL, "after", NULL), 0);
	assert_int_equal(store_flush(s), 0);

	struct store_backlog b;
	store_get_backlog(s, &b);
	assert_int_equal(b.rejected, 1);
	assert_int_equal(b.committed, 3);
	assert_non_null(strstr(b.rejected_error, "no such"));
	assert_int_equal(count_rows(path, "SELECT count(*) FROM events WHERE type IN ('before', 'after')"), 2);
	store_close(s);
}

/* A long backlog is committed in chunks; a flush stops after its time
 * budget and says so (1) rather than stalling its caller. */
static void test_long_backlog_in_chunks(void **state)
{
	(void)state;
	const char *path = tmp_path("long.db");
	struct store *s = open_batch(path);
	int n = 3 * STORE_FLUSH_CHUNK + 7, r;

	for (int i = 0; i < n; i++)
		assert_int_equal(store_event(s, T0 + i, "web", "tick", "x"), 0);
	int calls = 0;
	while ((r = store_flush(s)) == 1)
		calls++;
	assert_int_equal(r, 0);
	assert_true(calls <= 3);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM events WHERE type = 'tick'"), n);
	/* Ordered by time as written. */
	assert_int_equal(count_rows(path, "SELECT count(*) FROM events a JOIN events b ON b.id = a.id + 1 "
				     "WHERE a.type = 'tick' AND b.type = 'tick' AND b.time <= a.time"), 0);
	store_close(s);
}

/* Run ids continue after the newest run in the file, across reopens. */
static void test_run_ids_continue(void **state)
{
	(void)state;
	const char *path = tmp_path("ids.db");
	struct store *s = open_batch(path);
	int64_t id = 0;

	for (int i = 0; i < 3; i++)
		assert_int_equal(store_run_begin(s, "db", 50 + i, 1, NULL, "starting", T0 + i, &id), 0);
	assert_int_equal(id, 3);
	store_close(s); /* commits */
	assert_int_equal(count_rows(path, "SELECT count(*) FROM runs"), 3);

	s = open_batch(path);
	assert_int_equal(store_run_begin(s, "web", 60, 1, NULL, "starting", T0 + 9, &id), 0);
	assert_int_equal(id, 4);
	store_close(s);
	assert_int_equal(count_rows(path, "SELECT max(id) FROM runs WHERE container = 'web'"), 4);
}

static void write_file(const char *path, const void *data, size_t n, off_t at)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, n, at), (ssize_t)n);
	close(fd);
}

/* Not a database: refused, the message names the file and what to do. */
static void test_open_refuses_garbage(void **state)
{
	(void)state;
	const char *path = tmp_path("garbage.db");
	char junk[8192];
	memset(junk, 'x', sizeof(junk));
	write_file(path, junk, sizeof(junk), 0);

	struct store *s = NULL;
	struct sup_err err = { 0 };
	assert_true(store_open(path, &s, &err) < 0);
	assert_null(s);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "not a database"));
	assert_non_null(strstr(err.msg, "move it"));
}

/* A database whose pages are damaged: quick_check catches it at open. */
static void test_open_refuses_corrupt(void **state)
{
	(void)state;
	const char *path = tmp_path("corrupt.db");
	struct store *s = open_batch(path);
	char detail[400];
	memset(detail, 'd', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = 0;
	for (int i = 0; i < 400; i++)
		assert_int_equal(store_event(s, T0 + i, "web", "tick", detail), 0);
	assert_int_equal(store_flush(s), 0);
	store_close(s);
	/* Checkpointed into the main file by the close; now overwrite the
	 * middle of it (b-tree pages of events) with garbage. */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 16 * 4096);
	char junk[4096 * 4];
	memset(junk, 0xa5, sizeof(junk));
	write_file(path, junk, sizeof(junk), (st.st_size / 2) & ~4095L);

	struct sup_err err = { 0 };
	s = NULL;
	assert_true(store_open(path, &s, &err) < 0);
	assert_null(s);
	assert_non_null(strstr(err.msg, path));
	assert_true(strstr(err.msg, "corrupt") || strstr(err.msg, "malformed"));
	assert_non_null(strstr(err.msg, "restore"));
}

/* A file SQLite could only open read-only is refused, not used until the
 * first write fails. Root writes a mode 0444 file anyway: the integration
 * test covers root with a read-only mount. */
static void test_open_refuses_readonly_file(void **state)
{
	(void)state;
	if (geteuid() == 0)
		skip();
	const char *path = tmp_path("ro.db");
	store_close(open_batch(path));
	assert_int_equal(chmod(path, 0444), 0);

	struct store *s = NULL;
	struct sup_err err = { 0 };
	assert_int_equal(store_open(path, &s, &err), -EROFS);
	assert_non_null(strstr(err.msg, "read-only"));
	assert_int_equal(chmod(path, 0644), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_locked_writes_wait_and_catch_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backlog_cap_drops_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejected_write_is_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_backlog_in_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_ids_continue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_readonly_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
