/* store-internal.h - what store.c, store_write.c and store_read.c share:
 * the connection struct, the prepared statement ids, and the helpers that
 * bind parameters, read columns, step statements and nest transactions
 * (all defined in store.c). Nothing outside the store includes it; it is,
 * with those three files, the only place that includes sqlite3.h. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

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
	ST_RUN_OOM_SEEN,
	ST_GET_RUN,
	ST_LAST_DAEMON_EVENT,
	_ST_MAX,
};

struct store {
	sqlite3 *db;
	bool readonly;                /* opened by store_open_readonly() */
	unsigned depth;               /* open transaction levels: 0 none, 1 BEGIN, >1 savepoints */
	bool autobatch;               /* writes open a batch transaction that store_flush() commits */
	bool batch_open;              /* depth 1 is that batch */
	sqlite3_stmt *stmt[_ST_MAX];  /* prepared at open, indexed by enum stmt_id */
};

/* Cleanup for a borrowed cached statement: reset it (ending its implicit
 * read transaction, so a reader never pins the WAL) and drop its bindings
 * (which may point at the caller's strings). */
static inline void stmt_donep(sqlite3_stmt **q)
{
	if (*q) {
		sqlite3_reset(*q);
		sqlite3_clear_bindings(*q);
	}
}
#define _cleanup_stmt_ _cleanup_(stmt_donep)

/* Times: the inverse of store_format_time(), exact to the millisecond;
 * -EIO for text not in the database's time layout. */
int parse_time(const char *text, int64_t *ret_ms);

/* Binding parameters: 0 or -EIO. bind_int64_or_null stores 0 as NULL,
 * bind_exit_code stores -1 as NULL, bind_text stores NULL and "" as NULL. */
int bind_int64(sqlite3_stmt *q, int i, int64_t v);
int bind_int64_or_null(sqlite3_stmt *q, int i, int64_t v);
int bind_exit_code(sqlite3_stmt *q, int i, int code);
int bind_text(sqlite3_stmt *q, int i, const char *v);
int bind_time(sqlite3_stmt *q, int i, int64_t ms);

/* Reading columns: text cut to size; a NULL time reads as 0; a NULL
 * integer reads as if_null. */
void column_text(sqlite3_stmt *q, int i, char *buf, size_t size);
int column_time(sqlite3_stmt *q, int i, int64_t *ret_ms);
int64_t column_int64_or(sqlite3_stmt *q, int i, int64_t if_null);
/* Room for element n of an array of *cap elements of size each. */
void *grow(void *v, int n, int *cap, size_t size);

/* Run a statement that returns no rows: 0 or -EIO. exec_stmt also resets it. */
int step_done(sqlite3_stmt *q);
int exec_stmt(struct store *s, enum stmt_id id);

/* Transactions (see store.c): tx_begin opens a level (BEGIN IMMEDIATE or a
 * SAVEPOINT), tx_end(s, r) commits it when r >= 0, rolls it back otherwise,
 * and returns r or the commit's error. ensure_batch opens the autobatch
 * transaction before a write when autobatch is on. */
int tx_begin(struct store *s);
int tx_end(struct store *s, int r);
int ensure_batch(struct store *s);
