/* restart.h - the restart policy as pure functions: whether a run that
 * ended is restarted, after which delay, and when the start limit says
 * stop. No I/O, no clock: the caller passes times and randomness. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct restart_tracker {
	uint32_t unhealthy_runs; /* consecutive runs shorter than restart_reset */
	int64_t *failures;       /* end times (ms) of recent failed runs, a ring of cap entries */
	uint32_t cap, n, head;
};

struct restart_outcome {
	bool failed;            /* non-zero exit, signal, OOM kill or failed start */
	bool stop_requested;    /* supctl stop / shutdown: never restart */
	int64_t started_at_ms;
	int64_t ended_at_ms;
};

enum restart_verdict {
	RESTART_VERDICT_NONE,    /* the policy does not restart this outcome */
	RESTART_VERDICT_DELAY,   /* restart after *ret_delay_ms */
	RESTART_VERDICT_GIVE_UP, /* start limit hit: state failed */
	_RESTART_VERDICT_MAX
};

void restart_tracker_init(struct restart_tracker *t, uint32_t start_limit_burst);
void restart_tracker_done(struct restart_tracker *t);
/* Forget history (supctl start of a failed container). */
void restart_tracker_reset(struct restart_tracker *t);

/* Exponential backoff: base doubled per unhealthy run (n >= 1), capped at
 * max, plus up to 10% jitter taken from random so that containers failing
 * together do not restart in lockstep. base 0 gives 0. */
uint64_t restart_backoff_ms(uint64_t base_ms, uint64_t max_ms, uint32_t n, uint32_t random);

/* Decide for a run that ended; updates the tracker. */
enum restart_verdict restart_decide(const struct container_config *cfg, struct restart_tracker *t,
				    const struct restart_outcome *o, uint32_t random, uint64_t *ret_delay_ms);

/* Failed runs within the start-limit window ending at now (for messages). */
uint32_t restart_failures_in_window(const struct restart_tracker *t, uint64_t window_ms, int64_t now_ms);
