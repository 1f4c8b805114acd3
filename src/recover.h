/* recover.h - at start-up, finish what an earlier supd left behind when it
 * crashed or re-executed: every run the database still has open is either
 * re-adopted (its process is alive, the same one by start time and
 * cgroup) or ended (gone: exit status from the pidfd the keeper held or the
 * zombie, else "unknown"; OOM kills from the cgroup counters), and leftover
 * container cgroups are removed. Then the containers that should run are
 * marked to be started (start_pending), which daemon.c does a bounded number
 * at a time. */
#pragma once

#include <stdbool.h>

#include "keeper.h"

struct supd;
struct store_container;

/* held: what the keeper handed back (adopted fds are taken out, -1; the
 * caller closes the rest). rows: the database's containers as the earlier
 * supd left them, sorted by name (read before this supd synced the
 * config). clean: the last supd stopped cleanly: nothing to adopt, every
 * autostart container starts, as on a first start. */
void recover_and_start(struct supd *d, struct keeper_held *held, int n_held, const struct store_container *rows,
		       int n_rows, bool clean);
