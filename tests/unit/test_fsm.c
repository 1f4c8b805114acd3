/* test_fsm.c - the container state machine of fsm.h: every [state][event]
 * cell against a table written here from the documented semantics (the
 * comments of fsm.h and the diagram at the top of fsm.c), the properties
 * those comments state, and the string conversions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "fsm.h"

/* ---- the expected table ----
 *
 * Derived from the documentation, not copied from fsm.c:
 *  - stopped|exited|oom-killed|failed --START--> starting (SPAWN); a stop of
 *    a container that is already at rest has nothing to do (NONE).
 *  - starting: EXEC_OK -> running, EXEC_FAILED -> failure noted (the exit
 *    completes the run), EXIT -> ended; a stop sends the stop signal (a
 *    process exists); a second start is already under way (NONE).
 *  - running: STOP -> stopping, EXIT -> ended; a start is already there.
 *    The exec outcome was already EOF, so a failure report is impossible.
 *  - stopping: STOP_TIMEOUT -> SIGKILL, EXIT -> ended; a start is refused
 *    (the requester is told to wait); a stop is already under way. Entered
 *    from starting too, so the exec outcome may still arrive: a failure is
 *    noted, a success changes nothing.
 *  - backoff: STOP -> stopped (cancel restart), RESTART_DUE -> starting;
 *    an operator's START starts now.
 *  - "RECORD_OOM is valid in every state with a process" and every state
 *    with a process ends with EXIT -> RECORD_EXIT.
 *  - In states without a process, the process events (EXEC_*, EXIT, OOM)
 *    are not possible (REJECT); a stale timer event (STOP_TIMEOUT,
 *    RESTART_DUE outside the state that arms that timer) has nothing to do.
 */

#define EXPECT_UNSET ((enum sv_action)-1)

static enum sv_action expected[_SV_STATE_MAX][_SV_EVENT_MAX];

static void build_expected(void)
{
	for (int s = 0; s < _SV_STATE_MAX; s++)
		for (int e = 0; e < _SV_EVENT_MAX; e++)
			expected[s][e] = EXPECT_UNSET;

#define E(state, event, action) expected[SV_##state][SV_EV_##event] = SV_ACT_##action

	/* at rest: stopped, exited, oom-killed, failed */
	static const enum sv_state rest[] = { SV_STOPPED, SV_EXITED, SV_OOM_KILLED, SV_FAILED };
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		enum sv_state s = rest[i];
		expected[s][SV_EV_START] = SV_ACT_SPAWN;
		expected[s][SV_EV_STOP] = SV_ACT_NONE;
		expected[s][SV_EV_EXEC_OK] = SV_ACT_REJECT;
		expected[s][SV_EV_EXEC_FAILED] = SV_ACT_REJECT;
		expected[s][SV_EV_EXIT] = SV_ACT_REJECT;
		expected[s][SV_EV_OOM] = SV_ACT_REJECT;
		expected[s][SV_EV_STOP_TIMEOUT] = SV_ACT_NONE;
		expected[s][SV_EV_RESTART_DUE] = SV_ACT_NONE;
	}

	E(STARTING, START, NONE);
	E(STARTING, STOP, SEND_STOP);
	E(STARTING, EXEC_OK, MARK_RUNNING);
	E(STARTING, EXEC_FAILED, NOTE_FAILURE);
	E(STARTING, EXIT, RECORD_EXIT);
	E(STARTING, OOM, RECORD_OOM);
	E(STARTING, STOP_TIMEOUT, NONE);
	E(STARTING, RESTART_DUE, NONE);

	E(RUNNING, START, NONE);
	E(RUNNING, STOP, SEND_STOP);
	E(RUNNING, EXEC_OK, NONE);
	E(RUNNING, EXEC_FAILED, REJECT);
	E(RUNNING, EXIT, RECORD_EXIT);
	E(RUNNING, OOM, RECORD_OOM);
	E(RUNNING, STOP_TIMEOUT, NONE);
	E(RUNNING, RESTART_DUE, NONE);

	E(STOPPING, START, REJECT);
	E(STOPPING, STOP, NONE);
	E(STOPPING, EXEC_OK, NONE);
	E(STOPPING, EXEC_FAILED, NOTE_FAILURE);
	E(STOPPING, EXIT, RECORD_EXIT);
	E(STOPPING, OOM, RECORD_OOM);
	E(STOPPING, STOP_TIMEOUT, SEND_KILL);
	E(STOPPING, RESTART_DUE, NONE);

	E(BACKOFF, START, SPAWN);
	E(BACKOFF, STOP, CANCEL_RESTART);
	E(BACKOFF, EXEC_OK, REJECT);
	E(BACKOFF, EXEC_FAILED, REJECT);
	E(BACKOFF, EXIT, REJECT);
	E(BACKOFF, OOM, REJECT);
	E(BACKOFF, STOP_TIMEOUT, NONE);
	E(BACKOFF, RESTART_DUE, SPAWN);
#undef E
}

/* Every cell of the expected table is written (a forgotten cell would make
 * the comparison meaningless). */
static void test_expected_table_complete(void **state)
{
	(void)state;
	build_expected();
	int unset = 0;
	for (int s = 0; s < _SV_STATE_MAX; s++)
		for (int e = 0; e < _SV_EVENT_MAX; e++)
			if (expected[s][e] == EXPECT_UNSET) {
				print_message("expected[%s][%s] not written\n", sv_state_to_string(s), sv_event_to_string(e));
				unset++;
			}
	assert_int_equal(unset, 0);
}

/* One row: print every mismatching cell by name, then fail on the count. */
static void check_row(enum sv_state s)
{
	build_expected();
	int bad = 0;
	for (int e = 0; e < _SV_EVENT_MAX; e++) {
		enum sv_action got = fsm_action(s, (enum sv_event)e);
		if (got != expected[s][e]) {
			print_message("fsm_action(%s, %s) = %s, expected %s\n", sv_state_to_string(s),
				      sv_event_to_string((enum sv_event)e), sv_action_to_string(got),
				      sv_action_to_string(expected[s][e]));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_row_stopped(void **state) { (void)state; check_row(SV_STOPPED); }
static void test_row_starting(void **state) { (void)state; check_row(SV_STARTING); }
static void test_row_running(void **state) { (void)state; check_row(SV_RUNNING); }
static void test_row_stopping(void **state) { (void)state; check_row(SV_STOPPING); }
static void test_row_exited(void **state) { (void)state; check_row(SV_EXITED); }
static void test_row_oom_killed(void **state) { (void)state; check_row(SV_OOM_KILLED); }
static void test_row_failed(void **state) { (void)state; check_row(SV_FAILED); }
static void test_row_backoff(void **state) { (void)state; check_row(SV_BACKOFF); }

/* All 64 cells, counted, so a table that grows a row or column without the
 * test noticing fails here. */
static void test_all_cells(void **state)
{
	(void)state;
	build_expected();
	int checked = 0, bad = 0;
	for (int s = 0; s < _SV_STATE_MAX; s++)
		for (int e = 0; e < _SV_EVENT_MAX; e++) {
			enum sv_action got = fsm_action((enum sv_state)s, (enum sv_event)e);
			assert_in_range(got, 0, _SV_ACTION_MAX - 1);
			if (got != expected[s][e])
				bad++;
			checked++;
		}
	assert_int_equal(_SV_STATE_MAX, 8);
	assert_int_equal(_SV_EVENT_MAX, 8);
	assert_int_equal(_SV_ACTION_MAX, 10);
	assert_int_equal(checked, 64);
	assert_int_equal(bad, 0);
}

/* ---- properties stated in the comments ---- */

/* "RECORD_OOM is valid in every state with a process", and a process that
 * is reaped always closes its run; without a process neither can happen. */
static void test_process_events_follow_has_process(void **state)
{
	(void)state;
	for (int s = 0; s < _SV_STATE_MAX; s++) {
		enum sv_state st = (enum sv_state)s;
		if (sv_state_has_process(st)) {
			assert_int_equal(fsm_action(st, SV_EV_OOM), SV_ACT_RECORD_OOM);
			assert_int_equal(fsm_action(st, SV_EV_EXIT), SV_ACT_RECORD_EXIT);
		} else {
			for (int e = SV_EV_EXEC_OK; e <= SV_EV_OOM; e++) {
				enum sv_action a = fsm_action(st, (enum sv_event)e);
				if (a != SV_ACT_NONE && a != SV_ACT_REJECT)
					print_message("state %s event %s -> %s without a process\n", sv_state_to_string(st),
						      sv_event_to_string((enum sv_event)e), sv_action_to_string(a));
				assert_true(a == SV_ACT_NONE || a == SV_ACT_REJECT);
			}
		}
	}
}

/* Only a process can be signalled: SEND_STOP, SEND_KILL, MARK_RUNNING,
 * NOTE_FAILURE, RECORD_* appear only in rows of states with a process;
 * SPAWN and CANCEL_RESTART only in rows without one. */
static void test_actions_match_process_presence(void **state)
{
	(void)state;
	for (int s = 0; s < _SV_STATE_MAX; s++)
		for (int e = 0; e < _SV_EVENT_MAX; e++) {
			enum sv_state st = (enum sv_state)s;
			enum sv_action a = fsm_action(st, (enum sv_event)e);
			bool needs_process = a == SV_ACT_SEND_STOP || a == SV_ACT_SEND_KILL || a == SV_ACT_MARK_RUNNING ||
					     a == SV_ACT_NOTE_FAILURE || a == SV_ACT_RECORD_EXIT || a == SV_ACT_RECORD_OOM;
			bool needs_none = a == SV_ACT_SPAWN || a == SV_ACT_CANCEL_RESTART;
			if ((needs_process && !sv_state_has_process(st)) || (needs_none && sv_state_has_process(st)))
				print_message("state %s event %s -> %s\n", sv_state_to_string(st),
					      sv_event_to_string((enum sv_event)e), sv_action_to_string(a));
			if (needs_process)
				assert_true(sv_state_has_process(st));
			if (needs_none)
				assert_false(sv_state_has_process(st));
		}
}

/* A stop is never refused (supctl stop of a stopped container answers at
 * once); a start is refused only while stopping. */
static void test_stop_never_rejected_start_only_while_stopping(void **state)
{
	(void)state;
	for (int s = 0; s < _SV_STATE_MAX; s++) {
		assert_int_not_equal(fsm_action((enum sv_state)s, SV_EV_STOP), SV_ACT_REJECT);
		if (s == SV_STOPPING)
			assert_int_equal(fsm_action((enum sv_state)s, SV_EV_START), SV_ACT_REJECT);
		else
			assert_int_not_equal(fsm_action((enum sv_state)s, SV_EV_START), SV_ACT_REJECT);
	}
}

/* ---- strings ---- */

static void test_state_to_string(void **state)
{
	(void)state;
	static const char *const names[_SV_STATE_MAX] = {
		[SV_STOPPED] = "stopped",   [SV_STARTING] = "starting", [SV_RUNNING] = "running",
		[SV_STOPPING] = "stopping", [SV_EXITED] = "exited",     [SV_OOM_KILLED] = "oom-killed",
		[SV_FAILED] = "failed",     [SV_BACKOFF] = "backoff",
	};
	for (int s = 0; s < _SV_STATE_MAX; s++)
		assert_string_equal(sv_state_to_string((enum sv_state)s), names[s]);
	assert_string_equal(sv_state_to_string(_SV_STATE_MAX), "unknown");
	assert_string_equal(sv_state_to_string((enum sv_state)1000), "unknown");
	assert_string_equal(sv_state_to_string((enum sv_state)-1), "unknown");
}

static void test_event_to_string(void **state)
{
	(void)state;
	static const char *const names[_SV_EVENT_MAX] = {
		[SV_EV_START] = "start",
		[SV_EV_STOP] = "stop",
		[SV_EV_EXEC_OK] = "exec-ok",
		[SV_EV_EXEC_FAILED] = "exec-failed",
		[SV_EV_EXIT] = "exit",
		[SV_EV_OOM] = "oom",
		[SV_EV_STOP_TIMEOUT] = "stop-timeout",
		[SV_EV_RESTART_DUE] = "restart-due",
	};
	for (int e = 0; e < _SV_EVENT_MAX; e++)
		assert_string_equal(sv_event_to_string((enum sv_event)e), names[e]);
	assert_string_equal(sv_event_to_string(_SV_EVENT_MAX), "unknown");
	assert_string_equal(sv_event_to_string((enum sv_event)1000), "unknown");
	assert_string_equal(sv_event_to_string((enum sv_event)-1), "unknown");
}

static void test_action_to_string(void **state)
{
	(void)state;
	static const char *const names[_SV_ACTION_MAX] = {
		[SV_ACT_NONE] = "none",
		[SV_ACT_REJECT] = "reject",
		[SV_ACT_SPAWN] = "spawn",
		[SV_ACT_MARK_RUNNING] = "mark-running",
		[SV_ACT_NOTE_FAILURE] = "note-failure",
		[SV_ACT_SEND_STOP] = "send-stop",
		[SV_ACT_SEND_KILL] = "send-kill",
		[SV_ACT_RECORD_EXIT] = "record-exit",
		[SV_ACT_RECORD_OOM] = "record-oom",
		[SV_ACT_CANCEL_RESTART] = "cancel-restart",
	};
	for (int a = 0; a < _SV_ACTION_MAX; a++)
		assert_string_equal(sv_action_to_string((enum sv_action)a), names[a]);
	assert_string_equal(sv_action_to_string(_SV_ACTION_MAX), "unknown");
	assert_string_equal(sv_action_to_string((enum sv_action)1000), "unknown");
	assert_string_equal(sv_action_to_string((enum sv_action)-1), "unknown");
}

/* Names are unique within each enum (they are keys in the store and logs). */
static void test_names_unique(void **state)
{
	(void)state;
	for (int i = 0; i < _SV_STATE_MAX; i++)
		for (int j = i + 1; j < _SV_STATE_MAX; j++)
			assert_string_not_equal(sv_state_to_string((enum sv_state)i), sv_state_to_string((enum sv_state)j));
	for (int i = 0; i < _SV_EVENT_MAX; i++)
		for (int j = i + 1; j < _SV_EVENT_MAX; j++)
			assert_string_not_equal(sv_event_to_string((enum sv_event)i), sv_event_to_string((enum sv_event)j));
	for (int i = 0; i < _SV_ACTION_MAX; i++)
		for (int j = i + 1; j < _SV_ACTION_MAX; j++)
			assert_string_not_equal(sv_action_to_string((enum sv_action)i),
						sv_action_to_string((enum sv_action)j));
}

static void test_state_from_string(void **state)
{
	(void)state;
	for (int s = 0; s < _SV_STATE_MAX; s++)
		assert_int_equal(sv_state_from_string(sv_state_to_string((enum sv_state)s)), s);
	assert_int_equal(sv_state_from_string("stopped"), SV_STOPPED);
	assert_int_equal(sv_state_from_string("oom-killed"), SV_OOM_KILLED);
	assert_int_equal(sv_state_from_string("backoff"), SV_BACKOFF);

	static const char *const unknown[] = {
		"", "unknown", "Stopped", "STOPPED", "stopped ", " stopped", "stop", "oom_killed",
		"oomkilled", "start", "exit", "failedx",
	};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		int r = sv_state_from_string(unknown[i]);
		if (r != -1)
			print_message("sv_state_from_string(\"%s\") = %d\n", unknown[i], r);
		assert_int_equal(r, -1);
	}
}

/* ---- state predicates ---- */

static void test_state_predicates(void **state)
{
	(void)state;
	static const struct {
		enum sv_state s;
		bool has_process, settled;
	} cases[] = {
		{ SV_STOPPED, false, true },  { SV_STARTING, true, false },  { SV_RUNNING, true, false },
		{ SV_STOPPING, true, false }, { SV_EXITED, false, true },    { SV_OOM_KILLED, false, true },
		{ SV_FAILED, false, true },   { SV_BACKOFF, false, false },
	};
	assert_int_equal(sizeof(cases) / sizeof(cases[0]), _SV_STATE_MAX);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sv_state_has_process(cases[i].s) != cases[i].has_process ||
		    sv_state_is_settled(cases[i].s) != cases[i].settled)
			print_message("state %s: has_process %d (expected %d), settled %d (expected %d)\n",
				      sv_state_to_string(cases[i].s), sv_state_has_process(cases[i].s),
				      cases[i].has_process, sv_state_is_settled(cases[i].s), cases[i].settled);
		assert_int_equal(sv_state_has_process(cases[i].s), cases[i].has_process);
		assert_int_equal(sv_state_is_settled(cases[i].s), cases[i].settled);
		/* settled implies no process */
		if (cases[i].settled)
			assert_false(sv_state_has_process(cases[i].s));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expected_table_complete),
		cmocka_unit_test(test_row_stopped),
		cmocka_unit_test(test_row_starting),
		cmocka_unit_test(test_row_running),
		cmocka_unit_test(test_row_stopping),
		cmocka_unit_test(test_row_exited),
		cmocka_unit_test(test_row_oom_killed),
		cmocka_unit_test(test_row_failed),
		cmocka_unit_test(test_row_backoff),
		cmocka_unit_test(test_all_cells),
		cmocka_unit_test(test_process_events_follow_has_process),
		cmocka_unit_test(test_actions_match_process_presence),
		cmocka_unit_test(test_stop_never_rejected_start_only_while_stopping),
		cmocka_unit_test(test_state_to_string),
		cmocka_unit_test(test_event_to_string),
		cmocka_unit_test(test_action_to_string),
		cmocka_unit_test(test_names_unique),
		cmocka_unit_test(test_state_from_string),
		cmocka_unit_test(test_state_predicates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
