/* store.c - the SQLite database (see store.h and db/README.md).
 *
 * Owns the sqlite3 connection, every prepared statement (prepared once at
 * open, reset after each use so no read snapshot outlives a call), the
 * transaction nesting depth, and the schema migration on open. It does not
 * decide anything: the supervisor says what changed and this file records
 * it. It never logs; SQLite failures become -EIO, with SQLite's message in
 * the sup_err of the open functions. This is the only file that includes
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

#include "store.h"
#include "store_schema.h"

/* Long enough to ride out a checkpoint or another writer's short
 * transaction; readers in WAL mode never take the write lock at all. */
#define STORE_BUSY_TIMEOUT_MS 5000

/* store_record_oom() appends at most this many 'oom-kill' events per call
 * (one per process killed). Real rises between two reads of the counter are
 * a handful; this only bounds the work should a counter read be garbage. */
#define STORE_OOM_EVENTS_MAX 10000

/* The form of every time in the database; strftime() prints it back, which
 * the CHECK constraints in db/migrations rely on. */
#define STORE_TIME_LAYOUT "dddd-dd-ddTdd:dd:dd.dddZ"

enum stmt_id {
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_CONTAINER_UPSERT,
	ST_CONTAINER_NAMES,
	ST_CONTAINER_REMOVE,
	ST_SET_STATE,
	ST_RUN_INSERT,
	ST_RUN_BEGIN_CONTAINER,
	ST_RUN_END,
	ST_RUN_END_CONTAINER,
	ST_COUNT_RESTART,
	ST_OOM_RUN,
	ST_OOM_CONTAINER,
	ST_EVENT,
	ST_LIST_CONTAINERS,
	ST_GET_CONTAINER,
	ST_LIST_RUNS,
	ST_LIST_EVENTS_ALL,
	ST_LIST_EVENTS_ONE,
	ST_PRUNE_EVENTS,
	_ST_MAX,
};

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
	/* ?1 name, ?2 pid, ?3 pid_starttime, ?4 cgroup, ?5 now. Selecting from
	 * containers makes an unknown name insert nothing (-ENOENT) instead of
	 * tripping the foreign key. */
	[ST_RUN_INSERT] = "INSERT INTO runs (container, pid, pid_starttime, cgroup, started_at) "
			  "SELECT name, ?2, ?3, ?4, ?5 FROM containers WHERE name = ?1",
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
};
static_assert(ELEMENTSOF(stmt_sql) == _ST_MAX, "stmt_sql must name every statement");

struct store {
	sqlite3 *db;
	bool readonly;                /* opened by store_open_readonly() */
	unsigned depth;               /* open transaction levels: 0 none, 1 BEGIN, >1 savepoints */
	bool autobatch;               /* writes open a batch transaction that store_flush() commits */
	bool batch_open;              /* depth 1 is that batch */
	sqlite3_stmt *stmt[_ST_MAX];  /* prepared at open, indexed by enum stmt_id */
};

static void store_closep(struct store **s)
{
	store_close(*s);
}

/* Cleanup for a borrowed cached statement: reset it (ending its implicit
 * read transaction, so a reader never pins the WAL) and drop its bindings
 * (which may point at the caller's strings). */
static void stmt_donep(sqlite3_stmt **q)
{
	if (*q) {
		sqlite3_reset(*q);
		sqlite3_clear_bindings(*q);
	}
}
#define _cleanup_stmt_ _cleanup_(stmt_donep)

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
static int parse_time(const char *text, int64_t *ret_ms)
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

static int bind_int64(sqlite3_stmt *q, int i, int64_t v)
{
	return bind_ok(sqlite3_bind_int64(q, i, v));
}

/* 0 means "none" in the API and NULL in the database (pid, starttime, ...). */
static int bind_int64_or_null(sqlite3_stmt *q, int i, int64_t v)
{
	return bind_ok(v == 0 ? sqlite3_bind_null(q, i) : sqlite3_bind_int64(q, i, v));
}

/* An exit code of -1 ("none": killed, or never started) is NULL. */
static int bind_exit_code(sqlite3_stmt *q, int i, int code)
{
	return bind_ok(code < 0 ? sqlite3_bind_null(q, i) : sqlite3_bind_int64(q, i, code));
}

/* NULL and "" are both stored as NULL. */
static int bind_text(sqlite3_stmt *q, int i, const char *v)
{
	if (!v || !*v)
		return bind_ok(sqlite3_bind_null(q, i));
	return bind_ok(sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT));
}

static int bind_time(sqlite3_stmt *q, int i, int64_t ms)
{
	char buf[32];
	store_format_time(ms, buf, sizeof(buf));
	return bind_ok(sqlite3_bind_text(q, i, buf, -1, SQLITE_TRANSIENT));
}

static void column_text(sqlite3_stmt *q, int i, char *buf, size_t size)
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
static int column_time(sqlite3_stmt *q, int i, int64_t *ret_ms)
{
	const char *t = (const char *)sqlite3_column_text(q, i);
	if (!t) {
		*ret_ms = 0;
		return 0;
	}
	return parse_time(t, ret_ms);
}

/* Room for element n of an array of *cap elements of size each. */
static void *grow(void *v, int n, int *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 16;
	return xrealloc(v, size * (size_t)*cap);
}

static int64_t column_int64_or(sqlite3_stmt *q, int i, int64_t if_null)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? if_null : sqlite3_column_int64(q, i);
}

/* Run a statement that returns no rows. */
static int step_done(sqlite3_stmt *q)
{
	return sqlite3_step(q) == SQLITE_DONE ? 0 : -EIO;
}

/* Step a statement that takes no parameters and reset it at once. */
static int exec_stmt(struct store *s, enum stmt_id id)
{
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[id];
	return step_done(q);
}

/* --- transactions ---------------------------------------------------------- */

static int tx_begin(struct store *s)
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
static int tx_end(struct store *s, int r)
{
	if (r < 0) {
		tx_rollback(s);
		return r;
	}
	return tx_commit(s);
}

/* With autobatch on, the first write after a flush opens one transaction
 * that collects every write until the next store_flush(): one commit per
 * loop turn instead of several per container start. */
static int ensure_batch(struct store *s)
{
	if (!s->autobatch || s->depth > 0)
		return 0;
	int r = tx_begin(s);
	if (r == 0)
		s->batch_open = true;
	return r;
}

void store_set_autobatch(struct store *s, bool on)
{
	s->autobatch = on;
}

int store_flush(struct store *s)
{
	if (!s->batch_open)
		return 0;
	/* A failed write inside the batch may have ended the transaction
	 * (SQLite rolls back by itself on some errors): nothing to commit. */
	if (sqlite3_get_autocommit(s->db)) {
		s->depth = 0;
		s->batch_open = false;
		return -EIO;
	}
	assert(s->depth == 1);
	s->batch_open = false;
	return tx_commit(s);
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

/* Prefix every open-time message with the path: supd and supctl may be
 * looking at different files (--db). */
static int db_error(struct store *s, struct sup_err *err, const char *path, const char *what)
{
	return sup_err_set(err, -EIO, "%s: %s: %s", path, what, sqlite3_errmsg(s->db));
}

static int open_db(struct store *s, const char *path, int flags, struct sup_err *err)
{
	int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		/* "unable to open database file" alone does not say why. */
		int e = s->db ? sqlite3_system_errno(s->db) : 0;
		const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
		if (e)
			return sup_err_set(err, -EIO, "%s: open: %s (%s)", path, msg, strerror(e));
		return sup_err_set(err, -EIO, "%s: open: %s", path, msg);
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	return 0;
}

static int read_user_version(struct store *s, const char *path, int *ret, struct sup_err *err)
{
	sqlite3_stmt *q = NULL;
	int r = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW)
		r = db_error(s, err, path, "read schema version");
	else
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
	int r = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW)
		r = db_error(s, err, path, "enable WAL");
	else {
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
	int v, r;

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
	int r = exec_sql(s, "BEGIN IMMEDIATE", path, "begin migration", err);
	if (r < 0)
		return r;

	r = migrate_locked(s, path, err);
	if (r < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return exec_sql(s, "COMMIT", path, "commit migration", err);
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

	r = open_db(s, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, err);
	if (r < 0)
		return r;

	r = set_journal_mode_wal(s, path, err);
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
	r = prepare_all(s, path, err);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(s);
	return 0;
}

int store_open_readonly(const char *path, struct store **ret, struct sup_err *err)
{
	_cleanup_(store_closep) struct store *s = NULL;
	int v, r;

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
	(void)store_flush(s); /* a batch left open would be rolled back by the close */

	for (size_t i = 0; i < _ST_MAX; i++)
		sqlite3_finalize(s->stmt[i]);
	if (s->db) {
		/* Recommended for long-lived connections: refresh planner
		 * statistics where queries would benefit. Skipped inside an
		 * unfinished batch, which the close rolls back. */
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

/* --- writers ---------------------------------------------------------------- */

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
	if (ensure_batch(s) < 0)
		return -EIO;
	assert(s);
	assert(n == 0 || names);
	if (n < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (!names[i] || !*names[i])
			return -EINVAL;

	int r = tx_begin(s);
	if (r < 0)
		return r;
	return tx_end(s, sync_locked(s, names, n, now_ms));
}

/* -ENOENT when the last UPDATE/INSERT touched no row. */
static int changed_or_enoent(struct store *s)
{
	return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_set_state(struct store *s, const char *name, const char *state, int64_t now_ms)
{
	if (ensure_batch(s) < 0)
		return -EIO;
	assert(s && name && state);
	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_SET_STATE];

	if (bind_text(q, 1, name) < 0 || bind_text(q, 2, state) < 0 || bind_time(q, 3, now_ms) < 0 ||
	    step_done(q) < 0)
		return -EIO;
	return changed_or_enoent(s);
}

static int run_begin_locked(struct store *s, const char *name, pid_t pid, uint64_t pid_starttime,
			    const char *cgroup, const char *state, int64_t now_ms, int64_t *ret_run_id)
{
	int64_t id;

	{
		_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_RUN_INSERT];
		if (bind_text(q, 1, name) < 0 || bind_int64_or_null(q, 2, pid) < 0 ||
		    bind_int64_or_null(q, 3, (int64_t)pid_starttime) < 0 || bind_text(q, 4, cgroup) < 0 ||
		    bind_time(q, 5, now_ms) < 0 || step_done(q) < 0)
			return -EIO;
		if (sqlite3_changes(s->db) == 0)
			return -ENOENT;
		id = sqlite3_last_insert_rowid(s->db);
	}

	_cleanup_stmt_ sqlite3_stmt *q = s->stmt[ST_RUN_BEGIN_CONTAINER];
	if (bind_text(q, 1, name) < 0 || bind_int64(q, 2, id) < 0 || bind_int64_or_null(q, 3, pid) < 0 ||
	    bind_int64_or_null(q, 4, (int64_t)pid_starttime) < 0 || bind_text(q, 5, cgroup) < 0 ||
	    bind_time(q, 6, now_ms) < 0 || bind_text(q, 7, state) < 0 || step_done(q) < 0)
		return -EIO;

	if (ret_run_id)
		*ret_run_id = id;
	return 0;
}

int store_run_begin(struct store *s, const char *name, pid_t pid, uint64_t pid_starttime,
		    const char *cgroup, const char *state, int64_t now_ms, int64_t *ret_run_id)
{
	if (ensure_batch(s) < 0)
		return -EIO;
	assert(s && name && state);
	if (pid < 0 || pid_starttime > INT64_MAX)
		return -EINVAL;

	int r = tx_begin(s);
	if (r < 0)
		return r;
	return tx_end(s, run_begin_locked(s, name, pid, pid_starttime, cgroup, state, now_ms, ret_run_id));
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
	if (ensure_batch(s) < 0)
		return -EIO;
	assert(s && name && end && end->state);

	int r = tx_begin(s);
	if (r < 0)
		return r;
	return tx_end(s, run_end_locked(s, name, run_id, end));
}

int store_count_restart(struct store *s, const char *name)
{
	if (ensure_batch(s) < 0)
		return -EIO;
	assert(s && name);
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
		int r = store_event(s, now_ms, name, "oom-kill", detail);
		if (r < 0)
			return r;
	}
	return 0;
}

int store_record_oom(struct store *s, const char *name, int64_t run_id, int64_t count, int64_t now_ms, const char *detail)
{
	if (ensure_batch(s) < 0)
		return -EIO;
	assert(s && name);
	if (count <= 0)
		return -EINVAL;
	int r = tx_begin(s);
	if (r < 0)
		return r;
	return tx_end(s, record_oom_locked(s, name, run_id, count, now_ms, detail));
}

int store_event(struct store *s, int64_t now_ms, const char *name, const char *type, const char *detail)
{
	if (ensure_batch(s) < 0)
		return -EIO;
	assert(s && type);
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
	if (ensure_batch(s) < 0)
		return -EIO;
	assert(s);
	if (max_rows <= 0)
		return -EINVAL;

	/* Its own transaction (a savepoint inside a caller's batch) taken with
	 * BEGIN IMMEDIATE like every write: the batch is small, so the write
	 * lock is held only briefly and readers are never blocked (WAL). */
	int r = tx_begin(s);
	if (r < 0)
		return r;
	return tx_end(s, prune_events_locked(s, older_than_ms, max_rows, ret_deleted));
}

/* --- readers ------------------------------------------------------------------ */

/* One row of CONTAINER_COLUMNS. */
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
