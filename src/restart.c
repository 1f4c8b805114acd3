/* restart.c - see restart.h.
 *
 * Backoff counts unhealthy runs (shorter than restart_reset), so a
 * container that crashes once a day restarts after restart_delay, not
 * after the cap (KERNEL-NOTES pitfall 18: counters that never reset). The
 * start limit counts failed runs in a sliding window, keeping the end times
 * of the last burst+1 failures. */
#include <string.h>

#include "macro.h"
#include "restart.h"

/* The ring need not outgrow this: a burst beyond it can never be exceeded
 * by what the ring holds, which is the right answer for so large a limit. */
#define RESTART_RING_MAX 100000

void restart_tracker_init(struct restart_tracker *t, uint32_t start_limit_burst)
{
	memset(t, 0, sizeof(*t));
	t->cap = (start_limit_burst < RESTART_RING_MAX ? start_limit_burst : RESTART_RING_MAX) + 1;
	t->failures = xcalloc(t->cap, sizeof(*t->failures));
}

void restart_tracker_done(struct restart_tracker *t)
{
	free(t->failures);
	memset(t, 0, sizeof(*t));
}

void restart_tracker_reset(struct restart_tracker *t)
{
	t->unhealthy_runs = 0;
	t->n = t->head = 0;
}

uint64_t restart_backoff_ms(uint64_t base_ms, uint64_t max_ms, uint32_t n, uint32_t random)
{
	if (base_ms == 0 || n == 0)
		return 0;
	uint64_t d = base_ms;
	for (uint32_t i = 1; i < n && d < max_ms; i++)
		d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
	if (d > max_ms)
		d = max_ms;
	/* Up to +10%: (random % 1001) ten-thousandths of d, split so that
	 * nothing overflows, and saturating at UINT64_MAX. */
	uint64_t k = random % 1001;
	uint64_t jitter = d / 10000 * k + d % 10000 * k / 10000;
	return d > UINT64_MAX - jitter ? UINT64_MAX : d + jitter;
}

uint32_t restart_failures_in_window(const struct restart_tracker *t, uint64_t window_ms, int64_t now_ms)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < t->n; i++) {
		int64_t at = t->failures[(t->head + t->cap - 1 - i) % t->cap];
		/* Unsigned: a window beyond INT64_MAX ms must not turn negative. */
		if (at >= now_ms || (uint64_t)(now_ms - at) <= window_ms)
			k++;
	}
	return k;
}

static void record_failure(struct restart_tracker *t, int64_t at)
{
	t->failures[t->head] = at;
	t->head = (t->head + 1) % t->cap;
	if (t->n < t->cap)
		t->n++;
}

enum restart_verdict restart_decide(const struct container_config *cfg, struct restart_tracker *t,
				    const struct restart_outcome *o, uint32_t random, uint64_t *ret_delay_ms)
{
	*ret_delay_ms = 0;
	uint64_t ran = o->ended_at_ms > o->started_at_ms ? (uint64_t)(o->ended_at_ms - o->started_at_ms) : 0;
	if (ran >= cfg->restart_reset_ms)
		t->unhealthy_runs = 0;
	if (o->failed)
		record_failure(t, o->ended_at_ms);
	if (o->stop_requested)
		return RESTART_VERDICT_NONE;
	if (cfg->restart == RESTART_NO || (cfg->restart == RESTART_ON_FAILURE && !o->failed))
		return RESTART_VERDICT_NONE;
	if (o->failed && restart_failures_in_window(t, cfg->start_limit_window_ms, o->ended_at_ms) > cfg->start_limit_burst)
		return RESTART_VERDICT_GIVE_UP;
	t->unhealthy_runs++;
	*ret_delay_ms = restart_backoff_ms(cfg->restart_delay_ms, cfg->restart_delay_max_ms, t->unhealthy_runs, random);
	return RESTART_VERDICT_DELAY;
}
