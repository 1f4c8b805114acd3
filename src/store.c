/* store.c - the SQLite database (see store.h and db/README.md): open,
 * migrate, close, transactions and batching, time and binding helpers.
 * The writers are in store_write.c, the readers in store_read.c, the
 * backlog of batch mode in store_queue.c; what they share is in
 * store-internal.h.
 *
 * Owns the sqlite3 connection, every prepared statement (prepared once at
 * open, reset after each use so no read snapshot outlives a call), the
 * transaction nesting depth, and the schema migration on open. It does not
 * decide anything: the supervisor says what changed and this file records
 * it. It never logs; SQLite failures become -EIO, with SQLite's message in
 * the sup_err of the open functions. Only the store files include
 * sqlite3.h.
 *
 * Transactions: store_begin() at depth 0 is BEGIN IMMEDIATE (take the write
 * lock up front, so a batch never fails half-way on a lock upgrade); deeper
 * levels are SAVEPOINTs. Every multi-statement write wraps itself in the
 * same machinery, so it is all-or-nothing even inside a caller's batch: on
 * failure only its own savepoint is rolled back and the batch goes on. On a
 * read-only store, begin/commit give several reads one snapshot. */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store-internal.h"
#include "store_schema.h"

/* Long enough to ride out a checkpoint or another writer's short
 * transaction during open and migration; readers in WAL mode never take the
 * write lock at all. supd lowers it once open (store_set_busy_timeout()):
 * its writes are queued and retried instead of waited for. */
#define STORE_BUSY_TIMEOUT_MS 5000

/* The form of every time in the database; strftime() prints it back, which
 * the CHECK constraints in db/migrations rely on. */
#define STORE_TIME_LAYOUT "dddd-dd-ddTdd:dd:dd.dddZ"


/* state_since moves only when the state really changes, so "running for 3
 * days" survives a redundant set_state(running). ?S is the new state, ?T
 * the time. */
#define STATE_SINCE(S, T) \
	"state_since = CASE WHEN state IS " S " AND state_since IS NOT NULL " \
	"THEN state_since ELSE " T " END"

#define CONTAINER_COLUMNS                                                   \
	"name, state, state_since, pid, pid_starttime, cgroup, started_at, " \
	"restarts, oom_kills, current_run, last_exit_code, last_signal, "    \
	"last_reason, removed"

#define EVENT_COLUMNS "id, time, container, type, detail"

static const char *const stmt_sql[] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	/* read-only stores: a snapshot across several reads, no write lock */
	[ST_BEGIN_READ] = "BEGIN DEFERRED",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT store_nested",
	[ST_RELEASE] = "RELEASE store_nested",
	[ST_ROLLBACK_TO] = "ROLLBACK TO store_nested",
	/* ?1 name, ?2 now. A returning name is un-removed but keeps its state
	 * and counters: it is the same container. */
	[ST_CONTAINER_UPSERT] =
		"INSERT INTO containers (name, state, state_since, created_at, updated_at) "
		"VALUES (?1, 'stopped', ?2, ?2, ?2) "
		"ON CONFLICT (name) DO UPDATE SET removed = 0, updated_at = ?2 WHERE removed = 1",
	[ST_CONTAINER_NAMES] = "SELECT name FROM containers WHERE removed = 0",
	/* ?1 name, ?2 now */
	[ST_CONTAINER_REMOVE] = "UPDATE containers SET removed = 1, updated_at = ?2 WHERE name = ?1",
	/* ?1 name, ?2 state, ?3 now */
	[ST_SET_STATE] = "UPDATE containers SET " STATE_SINCE("?2", "?3") ", state = ?2, updated_at = ?3 "
			 "WHERE name = ?1",
	/* ?1 name, ?2 pid, ?3 pid_starttime, ?4 cgroup, ?5 now, ?6 run id (see
	 * next_run_id). Selecting from containers makes an unknown name insert
	 * nothing (-ENOENT) instead of tripping the foreign key. */
	[ST_RUN_INSERT] = "INSERT INTO runs (id, container, pid, pid_starttime, cgroup, started_at) "
			  "SELECT ?6, name, ?2, ?3, ?4, ?5 FROM containers WHERE name = ?1",
	/* ?1 name, ?2 run id, ?3 pid, ?4 pid_starttime, ?5 cgroup, ?6 now, ?7 state */
	[ST_RUN_BEGIN_CONTAINER] =
		"UPDATE containers SET current_run = ?2, pid = ?3, pid_starttime = ?4, cgroup = ?5, "
		"started_at = ?6, " STATE_SINCE("?7", "?6") ", state = ?7, updated_at = ?6 "
		"WHERE name = ?1",
	/* ?1 name, ?2 run id, ?3 ended_at, ?4 exit_code, ?5 signal, ?6 oom, ?7 reason.
	 * "ended_at IS NULL": ending a run twice would count its OOM kill twice. */
	[ST_RUN_END] = "UPDATE runs SET ended_at = ?3, exit_code = ?4, signal = ?5, oom_killed = ?6, "
		       "reason = ?7 WHERE id = ?2 AND container = ?1 AND ended_at IS NULL",
	/* ?1 name, ?2 exit_code, ?3 signal, ?4 reason, ?5 state, ?6 now. OOM kills
	 * are counted as they happen, by store_record_oom. */
	[ST_RUN_END_CONTAINER] =
		"UPDATE containers SET pid = NULL, pid_starttime = NULL, current_run = NULL, "
		"last_exit_code = ?2, last_signal = ?3, last_reason = ?4, "
		STATE_SINCE("?5", "?6") ", state = ?5, updated_at = ?6 WHERE name = ?1",
	/* ?1 name, ?2 run id, ?3 count */
	[ST_OOM_RUN] = "UPDATE runs SET oom_kills = oom_kills + ?3 WHERE id = ?2 AND container = ?1",
	/* ?1 name, ?2 count, ?3 now */
	[ST_OOM_CONTAINER] = "UPDATE containers SET oom_kills = oom_kills + ?2, updated_at = ?3 WHERE name = ?1",
	/* The API carries no time here; SQLite's clock is the same wall clock. */
	[ST_COUNT_RESTART] = "UPDATE containers SET restarts = restarts + 1, "
			     "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE name = ?1",
	/* ?1 time, ?2 container, ?3 type, ?4 detail */
	[ST_EVENT] = "INSERT INTO events (time, container, type, detail) VALUES (?1, ?2, ?3, ?4)",
	[ST_LIST_CONTAINERS] = "SELECT " CONTAINER_COLUMNS " FROM containers WHERE removed = 0 ORDER BY name",
	[ST_GET_CONTAINER] = "SELECT " CONTAINER_COLUMNS " FROM containers WHERE name = ?1",
	/* ?1 name, ?2 limit (negative: no limit) */
	[ST_LIST_RUNS] = "SELECT id, pid, started_at, ended_at, exit_code, signal, oom_killed, reason "
			 "FROM runs WHERE container = ?1 ORDER BY id DESC LIMIT ?2",
	/* ?1 after id, ?2 limit, ?3 name. Two statements rather than
	 * "?3 IS NULL OR container = ?3", which would keep the planner from
	 * using events_container_id. */
	[ST_LIST_EVENTS_ALL] = "SELECT " EVENT_COLUMNS " FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
	[ST_LIST_EVENTS_ONE] = "SELECT " EVENT_COLUMNS " FROM events WHERE container = ?3 AND id > ?1 "
			       "ORDER BY id LIMIT ?2",
	/* ?1 cutoff time, ?2 max rows. The subquery walks events_time from
	 * the oldest end and stops after ?2 rows, so a batch costs ?2 index
	 * steps however long the log is. Not "DELETE ... LIMIT", which needs
	 * a compile-time option Debian's SQLite may not have. */
	[ST_PRUNE_EVENTS] = "DELETE FROM events WHERE id IN "
			    "(SELECT id FROM events WHERE time < ?1 ORDER BY time LIMIT ?2)",
	/* ?1 name, ?2 run id, ?3 oom_kill, ?4 oom_group_kill */
	[ST_RUN_OOM_SEEN] = "UPDATE runs SET oom_kill_seen = ?3, oom_group_kill_seen = ?4 WHERE id = ?2 AND container = ?1",
	/* ?1 run id */
	[ST_GET_RUN] = "SELECT id, container, pid, pid_starttime, cgroup, started_at, oom_kill_seen, oom_group_kill_seen, "
		       "ended_at IS NULL, oom_kills FROM runs WHERE id = ?1",
	[ST_LAST_DAEMON_EVENT] = "SELECT type FROM events WHERE container IS NULL AND "
				 "type IN ('supd-started', 'supd-stopped') ORDER BY id DESC LIMIT 1",
};
static_assert(ELEMENTSOF(stmt_sql) == _ST_MAX, "stmt_sql must name every statement");

static void store_closep(struct store **s)
{
	store_close(*s);
}

/* --- time ---------------------------------------------------------------- */

static void put_digits(char *p, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
}

/* Every event, state change and run writes a time or two: formatted with
 * integer arithmetic (days to civil date, proleptic Gregorian), not
 * gmtime_r() and snprintf(), which took 7% of supd's instructions per
 * container start and stop (bench/REPORT.md, "Profile"). */
void store_format_time(int64_t ms, char *buf, size_t size)
{
	/* Floor division, so times before 1970 still get 0..999 ms. */
	int64_t sec = ms / 1000, frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		sec -= 1;
	}
	int64_t days = sec / 86400, tod = sec % 86400;
	if (tod < 0) {
		tod += 86400;
		days -= 1;
	}
	/* Shift the epoch to 0000-03-01 so leap days end each 4/100/400-year
	 * cycle; era = 400-year cycle, doe = day of era, yoe = year of era. */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153; /* month from March = 0 */
	int64_t mday = doy - (153 * mp + 2) / 5 + 1;
	int64_t mon = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = yoe + era * 400 + (mon <= 2);

	char text[32] = "YYYY-MM-DDTHH:MM:SS.mmmZ";
	if (year < 0 || year > 9999)
		/* Not representable in the 4-digit-year form: an empty string,
		 * which the CHECK constraints refuse. */
		text[0] = 0;
	else {
		put_digits(text, year, 4);
		put_digits(text + 5, mon, 2);
		put_digits(text + 8, mday, 2);
		put_digits(text + 11, tod / 3600, 2);
		put_digits(text + 14, tod / 60 % 60, 2);
		put_digits(text + 17, tod % 60, 2);
		put_digits(text + 20, frac, 3);
	}
	snprintf(buf, size, "%s", text);
}

static int digits(const char *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

/* Inverse of store_format_time(), exact to the millisecond (integer
 * arithmetic only, unlike a round trip through julianday()). */
int parse_time(const char *text, int64_t *ret_ms)
{
	static const char layout[] = STORE_TIME_LAYOUT;

	if (strlen(text) != sizeof(layout) - 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(layout) - 1; i++) {
		bool ok = layout[i] == 'd' ? text[i] >= '0' && text[i] <= '9' : text[i] == layout[i];
		if (!ok)
			return -EIO;
	}

	struct tm tm = {
		.tm_year = digits(text, 4) - 1900,
		.tm_mon = digits(text + 5, 2) - 1,
		.tm_mday = digits(text + 8, 2),
		.tm_hour = digits(text + 11, 2),
		.tm_min = digits(text + 14, 2),
		.tm_sec = digits(text + 17, 2),
	};
	*ret_ms = (int64_t)timegm(&tm) * 1000 + digits(text + 20, 3);
	return 0;
}

/* --- binding and reading columns ------------------------------------------ */

static int bind_ok(int rc)
{
	return rc == SQLITE_OK ? 0 : -EIO;
}

int bind_int64(sqlite3_stmt *q, int i, int64_t v)
{
	return bind_ok(sqlite3_bind_int64(q, i, v));
}

/* 0 means "none" in the API and NULL in the database (pid, starttime, ...). */
int bind_int64_or_null(sqlite3_stmt *q, int i, int64_t v)
{
	return bind_ok(v == 0 ? sqlite3_bind_null(q, i) : sqlite3_bind_int64(q, i, v));
}

/* An exit code of -1 ("none": killed, or never started) is NULL. */
int bind_exit_code(sqlite3_stmt *q, int i, int code)
{
	return bind_ok(code < 0 ? sqlite3_bind_null(q, i) : sqlite3_bind_int64(q, i, code));
}

/* NULL and "" are both stored as NULL. */
int bind_text(sqlite3_stmt *q, int i, const char *v)
{
	if (!v || !*v)
		return bind_ok(sqlite3_bind_null(q, i));
	return bind_ok(sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT));
}

int bind_time(sqlite3_stmt *q, int i, int64_t ms)
{
	char buf[32];
	store_format_time(ms, buf, sizeof(buf));
	return bind_ok(sqlite3_bind_text(q, i, buf, -1, SQLITE_TRANSIENT));
}

void column_text(sqlite3_stmt *q, int i, char *buf, size_t size)
{
	const char *t = (const char *)sqlite3_column_text(q, i);
	size_t n = t ? strlen(t) : 0;
	if (n >= size)
		n = size - 1; /* names are at most 63 characters; reasons may be cut */
	if (n > 0)
		memcpy(buf, t, n);
	buf[n] = 0;
}

/* NULL reads as 0 ("never"). */
int column_time(sqlite3_stmt *q, int i, int64_t *ret_ms)
{
	const char *t = (const char *)sqlite3_column_text(q, i);
	if (!t) {
		*ret_ms = 0;
		return 0;
	}
	return parse_time(t, ret_ms);
}

/* Room for element n of an array of *cap elements of size each. */
void *grow(void *v, int n, int *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 16;
	return xrealloc(v, size * (size_t)*cap);
}

int64_t column_int64_or(sqlite3_stmt *q, int i, int64_t if_null)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? if_null : sqlite3_column_int64(q, i);
}

/* Run a statement that returns no rows. */
int step_done(sqlite3_stmt *q)
{
	return sqlite3_step(q) == SQLITE_DONE ? 0 : -EIO;
}

/* Step a statement that takes no parameters and reset it at once. */
int exec_stmt(struct store *s, enum stmt_id id)
{
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[id];
	return step_done(q);
}

/* --- transactions ---------------------------------------------------------- */

int tx_begin(struct store *s)
{
	/* The outer transaction is gone (SQLite rolls back by itself after
	 * some I/O and out-of-memory errors): a savepoint now would open a new
	 * transaction behind the caller's back. */
	if (s->depth > 0 && sqlite3_get_autocommit(s->db))
		return -EIO;

	enum stmt_id id = s->depth > 0 ? ST_SAVEPOINT : s->readonly ? ST_BEGIN_READ : ST_BEGIN;
	int r = exec_stmt(s, id);
	if (r < 0)
		return r;
	s->depth++;
	return 0;
}

static int tx_commit(struct store *s)
{
	int r;

	assert(s->depth > 0);
	if (sqlite3_get_autocommit(s->db)) {
		/* Already rolled back by SQLite (see tx_begin): report the loss. */
		s->depth--;
		return -EIO;
	}
	if (s->depth > 1) {
		r = exec_stmt(s, ST_RELEASE);
		s->depth--;
		return r;
	}

	r = exec_stmt(s, ST_COMMIT);
	/* A failed COMMIT (disk full, I/O error) may leave the transaction
	 * open; roll it back so the next write does not silently join it. */
	if (r < 0 && !sqlite3_get_autocommit(s->db))
		(void)exec_stmt(s, ST_ROLLBACK);
	s->depth = 0;
	return r;
}

static void tx_rollback(struct store *s)
{
	assert(s->depth > 0);
	if (!sqlite3_get_autocommit(s->db)) {
		if (s->depth == 1)
			(void)exec_stmt(s, ST_ROLLBACK);
		else {
			/* ROLLBACK TO keeps the savepoint open; RELEASE pops it. */
			(void)exec_stmt(s, ST_ROLLBACK_TO);
			(void)exec_stmt(s, ST_RELEASE);
		}
	}
	s->depth--;
}

/* End a transaction level opened with tx_begin(): commit on success, roll
 * back on failure. Returns r, or the commit's error. */
int tx_end(struct store *s, int r)
{
	if (r < 0) {
		tx_rollback(s);
		return r;
	}
	return tx_commit(s);
}

void store_set_busy_timeout(struct store *s, int ms)
{
	assert(s && ms >= 0);
	sqlite3_busy_timeout(s->db, ms);
}

int store_begin(struct store *s)
{
	assert(s);
	return tx_begin(s);
}

int store_commit(struct store *s)
{
	assert(s);
	if (s->depth == 0)
		return -EINVAL; /* commit without begin */
	return tx_commit(s);
}

/* --- open, migrate, close -------------------------------------------------- */

#define DAMAGED_HINT \
	"; the file is damaged or not a database: move it (and its -wal and -shm files) away, " \
	"then start supd again to get a new, empty database, or restore one from a backup"
#define WRITABLE_HINT "; supd must be able to write the database file and create files in its directory"

/* Prefix every open-time message with the path: supd and supctl may be
 * looking at different files (--db). */
static int db_error(struct store *s, struct sup_err *err, const char *path, const char *what)
{
	/* What to do about it, for the failures a person can fix. */
	const char *hint = "";
	switch (sqlite3_errcode(s->db)) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		/* What we were doing does not matter: the file is bad. */
		return sup_err_set(err, -EUCLEAN, "%s: %s%s", path, sqlite3_errmsg(s->db), DAMAGED_HINT);
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		hint = WRITABLE_HINT;
		break;
	case SQLITE_FULL:
		hint = "; make room on its filesystem";
		break;
	}
	return sup_err_set(err, -EIO, "%s: %s: %s%s", path, what, sqlite3_errmsg(s->db), hint);
}

static int open_db(struct store *s, const char *path, int flags, struct sup_err *err)
{
	int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		/* "unable to open database file" alone does not say why. */
		int e = s->db ? sqlite3_system_errno(s->db) : 0;
		const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
		const char *hint = flags & SQLITE_OPEN_READWRITE ? WRITABLE_HINT : "";
		/* A file that is not there yet fails on its directory, but
		 * SQLite's last errno is from looking for the file. */
		if ((flags & SQLITE_OPEN_CREATE) && access(path, F_OK) < 0 && errno == ENOENT) {
			char dir[PATH_MAX];
			snprintf(dir, sizeof(dir), "%s", path);
			char *slash = strrchr(dir, '/');
			if (slash)
				*(slash == dir ? slash + 1 : slash) = 0;
			if (access(slash ? dir : ".", W_OK) < 0)
				e = errno;
		}
		if (e)
			return sup_err_set(err, -EIO, "%s: open: %s (%s)%s", path, msg, strerror(e), hint);
		return sup_err_set(err, -EIO, "%s: open: %s%s", path, msg, hint);
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	return 0;
}

/* Run sql (a pragma or query at open) up to its first row: *ret_q is then
 * on that row, for the caller to read and finalize. Else err says what
 * failed and *ret_q is NULL. */
static int first_row(struct store *s, const char *sql, const char *path, const char *what, sqlite3_stmt **ret_q,
		     struct sup_err *err)
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
		int r = db_error(s, err, path, what);
		sqlite3_finalize(q);
		*ret_q = NULL;
		return r;
	}
	*ret_q = q;
	return 0;
}

static int read_user_version(struct store *s, const char *path, int *ret, struct sup_err *err)
{
	sqlite3_stmt *q = NULL;
	int r = first_row(s, "PRAGMA user_version", path, "read schema version", &q, err);
	if (r == 0)
		*ret = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return r;
}

static int exec_sql(struct store *s, const char *sql, const char *path, const char *what,
		    struct sup_err *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(s, err, path, what);
	return 0;
}

static int set_journal_mode_wal(struct store *s, const char *path, struct sup_err *err)
{
	sqlite3_stmt *q = NULL;
	int r = first_row(s, "PRAGMA journal_mode = WAL", path, "enable WAL", &q, err);
	if (r == 0) {
		/* The pragma answers with the mode in force. ":memory:" stays
		 * "memory", which is fine (nobody else can read it anyway);
		 * anything else on a file would let dashboards block supd. */
		const char *mode = (const char *)sqlite3_column_text(q, 0);
		if (!mode || (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0))
			r = sup_err_set(err, -EIO, "%s: enable WAL: journal mode is still '%s'", path,
					mode ? mode : "?");
	}
	sqlite3_finalize(q);
	return r;
}

static int migrate_locked(struct store *s, const char *path, struct sup_err *err)
{
	int v = 0, r;

	r = read_user_version(s, path, &v, err);
	if (r < 0)
		return r;
	if (v > store_n_migrations)
		return sup_err_set(err, -EPROTO,
				   "%s: database schema version %d is newer than this supd (%d); "
				   "refusing to use it (run the newer supd, or restore a backup)",
				   path, v, store_n_migrations);
	if (v < 0)
		return sup_err_set(err, -EPROTO, "%s: invalid database schema version %d", path, v);
	if (v == store_n_migrations)
		return 0;

	for (int i = v; i < store_n_migrations; i++) {
		char what[96];
		snprintf(what, sizeof(what), "migration %04d (schema version %d to %d)", i + 1, i, i + 1);
		r = exec_sql(s, store_migrations[i], path, what, err);
		if (r < 0)
			return r;
	}

	/* Foreign keys are off while migrating (see store_open()), so check
	 * here that the migrations left every reference valid. */
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		r = sup_err_set(err, -EIO, "%s: migration to schema version %d broke a foreign key in table %s",
				path, store_n_migrations, (const char *)sqlite3_column_text(q, 0));
	else if (rc != SQLITE_DONE)
		r = db_error(s, err, path, "check foreign keys");
	sqlite3_finalize(q);
	if (r < 0)
		return r;

	/* PRAGMA takes no parameters; the number is ours, not user input. */
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_n_migrations);
	return exec_sql(s, sql, path, "set schema version", err);
}

/* All migrations and the version bump in one IMMEDIATE transaction: a crash
 * or a failing migration leaves the old schema intact, and a second supd
 * opening the same file waits instead of migrating concurrently. Migrations
 * therefore must not contain statements that cannot run in a transaction
 * (BEGIN/COMMIT, VACUUM, PRAGMA journal_mode or foreign_keys). */
static int migrate(struct store *s, const char *path, struct sup_err *err)
{
	/* Up to date: no write lock needed, so supd starts even while another
	 * process holds it (its writes wait in memory, see store_flush()). */
	int v = 0;
	int r = read_user_version(s, path, &v, err);
	if (r < 0 || v == store_n_migrations)
		return r;

	r = exec_sql(s, "BEGIN IMMEDIATE", path, "begin migration", err);
	if (r < 0)
		return r;

	r = migrate_locked(s, path, err);
	if (r < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return exec_sql(s, "COMMIT", path, "commit migration", err);
}

/* SQLite opens a file it may not write read-only without a word, and
 * every write would then fail: refuse it up front instead. */
static int check_writable(struct store *s, const char *path, struct sup_err *err)
{
	if (sqlite3_db_readonly(s->db, "main") != 1)
		return 0;
	const char *why = access(path, W_OK) < 0 ? strerror(errno) : "opened read-only";
	return sup_err_set(err, -EROFS, "%s: the database is read-only (%s)%s", path, why, WRITABLE_HINT);
}

/* A damaged file is refused at start rather than found out by the first
 * write hours later. quick_check reads every page but skips the index
 * cross-checks of integrity_check: a database of a million events (120 MB)
 * takes about a second of CPU. */
static int check_not_corrupt(struct store *s, const char *path, struct sup_err *err)
{
	sqlite3_stmt *q = NULL;
	int r = first_row(s, "PRAGMA quick_check(1)", path, "check", &q, err);
	if (r == 0) {
		const char *verdict = (const char *)sqlite3_column_text(q, 0);
		if (!verdict || strcmp(verdict, "ok") != 0) {
			/* One line: the verdict spans several. */
			char what[256];
			snprintf(what, sizeof(what), "%s", verdict ? verdict : "?");
			for (char *p = what; *p; p++)
				if (*p == '\n')
					*p = ' ';
			r = sup_err_set(err, -EUCLEAN, "%s: the database is corrupt (quick_check: %s)%s", path, what,
					DAMAGED_HINT);
		}
	}
	sqlite3_finalize(q);
	return r;
}

/* Run ids are handed out here, not by the insert, so that a run whose
 * insert waits in the backlog already has the id its end will name. supd
 * is the only writer, so max(id) + 1 read once stays right. */
static int read_next_run_id(struct store *s, const char *path, struct sup_err *err)
{
	sqlite3_stmt *q = NULL;
	int r = first_row(s, "SELECT coalesce(max(id), 0) + 1 FROM runs", path, "read the last run id", &q, err);
	if (r == 0)
		s->next_run_id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return r;
}

static int prepare_all(struct store *s, const char *path, struct sup_err *err)
{
	for (size_t i = 0; i < _ST_MAX; i++) {
		assert(stmt_sql[i]);
		/* PERSISTENT: these live as long as the connection. */
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
				       NULL) != SQLITE_OK)
			return db_error(s, err, path, "prepare statement");
	}
	return 0;
}

int store_open(const char *path, struct store **ret, struct sup_err *err)
{
	_cleanup_(store_closep) struct store *s = NULL;
	int r;

	assert(path && ret);
	s = xcalloc(1, sizeof(*s));

	s->tail = &s->head;
	s->max_pending = STORE_BACKLOG_MAX_WRITES;
	s->max_pending_bytes = STORE_BACKLOG_MAX_BYTES;

	r = open_db(s, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, err);
	if (r < 0)
		return r;
	r = check_writable(s, path, err);
	if (r < 0)
		return r;

	/* The first read of the file: "not a database" shows here. */
	r = set_journal_mode_wal(s, path, err);
	if (r < 0)
		return r;
	r = check_not_corrupt(s, path, err);
	if (r < 0)
		return r;
	/* NORMAL in WAL mode: safe against a supd crash, may lose the last
	 * commits on power loss; FULL would fsync on every event. Foreign keys
	 * stay off during the migration: a migration that rebuilds a table
	 * (SQLite's ALTER TABLE procedure: create, copy, drop, rename) cannot
	 * run with them on, and the pragma is a no-op inside a transaction.
	 * migrate() runs foreign_key_check instead. */
	/* journal_size_limit: after a checkpoint the -wal file is truncated to
	 * this, so one long-running reader cannot leave it tens of MB large. */
	r = exec_sql(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA journal_size_limit = 4194304", path,
		     "configure", err);
	if (r < 0)
		return r;
	/* Keep -wal and -shm when supd closes the database. Without them a
	 * reader that cannot write the directory (a dashboard user) cannot open
	 * a WAL database at all while supd is down. Not supported by
	 * ":memory:", which is fine. */
	int persist = 1;
	(void)sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);

	r = migrate(s, path, err);
	if (r < 0)
		return r;
	r = exec_sql(s, "PRAGMA foreign_keys = ON", path, "enable foreign keys", err);
	if (r < 0)
		return r;
	r = read_next_run_id(s, path, err);
	if (r < 0)
		return r;
	r = prepare_all(s, path, err);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(s);
	return 0;
}

int store_open_readonly(const char *path, struct store **ret, struct sup_err *err)
{
	_cleanup_(store_closep) struct store *s = NULL;
	int v = 0, r;

	assert(path && ret);

	/* SQLite says only "unable to open database file"; supctl wants to
	 * tell "no database yet" apart from a real failure. */
	if (access(path, F_OK) < 0) {
		r = -errno;
		if (r == -ENOENT)
			return sup_err_set(err, r, "%s: no such database (supd creates it when it first starts)",
					   path);
		return sup_err_set(err, r, "%s: %s", path, strerror(-r));
	}

	s = xcalloc(1, sizeof(*s));
	s->tail = &s->head;
	s->readonly = true;
	r = open_db(s, path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, err);
	if (r < 0)
		return r;

	r = read_user_version(s, path, &v, err);
	if (r < 0)
		return r;
	/* A reader cannot migrate, and the statements below name the columns
	 * of exactly this build's schema, so any other version is refused. */
	if (v == 0)
		return sup_err_set(err, -EPROTO,
				   "%s: not a sup database, or not initialized yet (schema version 0); "
				   "supd creates it when it first starts", path);
	if (v > store_n_migrations)
		return sup_err_set(err, -EPROTO,
				   "%s: database schema version %d is newer than this supctl (%d); "
				   "use the supctl that came with the running supd", path, v,
				   store_n_migrations);
	if (v < store_n_migrations)
		return sup_err_set(err, -EPROTO,
				   "%s: database schema version %d is older than this supctl (%d); "
				   "start the new supd once to migrate it", path, v, store_n_migrations);

	r = prepare_all(s, path, err);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(s);
	return 0;
}

struct store *store_close(struct store *s)
{
	if (!s)
		return NULL;
	(void)store_flush(s); /* what is still queued is lost with the backlog */
	backlog_free(s);

	for (size_t i = 0; i < _ST_MAX; i++)
		sqlite3_finalize(s->stmt[i]);
	if (s->db) {
		/* Recommended for long-lived connections: refresh planner
		 * statistics where queries would benefit. Skipped inside an
		 * unfinished transaction, which the close rolls back. */
		if (!s->readonly && s->depth == 0 && s->stmt[_ST_MAX - 1])
			sqlite3_exec(s->db, "PRAGMA optimize", NULL, NULL, NULL);
		/* _v2: never leaks the connection, even if a statement were
		 * still alive. */
		sqlite3_close_v2(s->db);
	}
	free(s);
	return NULL;
}

int store_schema_version(void)
{
	return store_n_migrations;
}
