/* metrics.c - see metrics.h.
 *
 * Counters come from the database (the system of record), states from the
 * supervisor, memory from each running container's cgroup as of the
 * rewrite. Bursts of changes (50 containers restarting together) give one
 * rewrite per METRICS_DELAY_MS, not one per event. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "daemon.h"
#include "fsm.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "supervisor.h"

#define METRICS_DELAY_MS 200

static void on_metrics_due(uv_timer_t *t)
{
	struct supd *d = t->data;
	int r = metrics_write(d);
	if (r < 0)
		log_warning("writing metrics to %s: %s, ignoring", d->config->supd.metrics_file, strerror(-r));
}

void metrics_changed(struct supd *d)
{
	if (!d->config->supd.metrics_file || d->metrics_timer.data == NULL)
		return;
	if (!uv_is_active((uv_handle_t *)&d->metrics_timer))
		uv_timer_start(&d->metrics_timer, on_metrics_due, METRICS_DELAY_MS, 0);
}

static void write_header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int metrics_write(struct supd *d)
{
	const char *path = d->config->supd.metrics_file;
	if (!path)
		return 0;
	struct store_container *rows = NULL;
	int n = 0;
	int r = store_list_containers(d->store, &rows, &n);
	if (r < 0)
		return r;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f) {
		r = -errno;
		free(rows);
		return r;
	}
	char now[32];
	store_format_time(daemon_now_ms(), now, sizeof(now));
	fprintf(f, "# written by supd at %s\n", now);
	write_header(f, "sup_container_up", "gauge", "1 while the container's command runs");
	for (int i = 0; i < n; i++) {
		struct container *c = daemon_find(d, rows[i].name);
		fprintf(f, "sup_container_up{name=\"%s\"} %d\n", rows[i].name, c && c->state == SV_RUNNING);
	}
	write_header(f, "sup_container_state", "gauge", "1 for the container's current state");
	for (int i = 0; i < n; i++)
		fprintf(f, "sup_container_state{name=\"%s\",state=\"%s\"} 1\n", rows[i].name, rows[i].state);
	write_header(f, "sup_container_restarts_total", "counter", "restarts by the restart policy");
	for (int i = 0; i < n; i++)
		fprintf(f, "sup_container_restarts_total{name=\"%s\"} %lld\n", rows[i].name, (long long)rows[i].restarts);
	write_header(f, "sup_container_oom_kills_total", "counter", "processes of the container killed by the OOM killer");
	for (int i = 0; i < n; i++)
		fprintf(f, "sup_container_oom_kills_total{name=\"%s\"} %lld\n", rows[i].name, (long long)rows[i].oom_kills);
	write_header(f, "sup_container_memory_bytes", "gauge", "memory use of a running container's cgroup when the file was written");
	for (int i = 0; i < n; i++) {
		/* The run's own group: one file read, where finding it through
		 * /proc/PID/cgroup and the mount table cost two /proc reads and
		 * a parse of mountinfo per container per rewrite. */
		struct container *c = daemon_find(d, rows[i].name);
		uint64_t mem;
		if (c && sv_memory_current(c, &mem) == 0)
			fprintf(f, "sup_container_memory_bytes{name=\"%s\"} %llu\n", rows[i].name, (unsigned long long)mem);
	}
	write_header(f, "sup_container_memory_max_bytes", "gauge", "configured memory_max (absent when unlimited)");
	for (int i = 0; i < n; i++) {
		struct container *c = daemon_find(d, rows[i].name);
		if (c && c->cfg->memory_max)
			fprintf(f, "sup_container_memory_max_bytes{name=\"%s\"} %llu\n", rows[i].name, (unsigned long long)c->cfg->memory_max);
	}
	write_header(f, "sup_container_start_time_seconds", "gauge", "when the current run started (Unix time)");
	for (int i = 0; i < n; i++)
		if (rows[i].pid > 0 && rows[i].started_at_ms > 0)
			fprintf(f, "sup_container_start_time_seconds{name=\"%s\"} %.3f\n", rows[i].name, (double)rows[i].started_at_ms / 1000.0);
	write_header(f, "sup_containers", "gauge", "containers in the configuration");
	fprintf(f, "sup_containers %d\n", n);
	free(rows);
	/* The reader sees the old file or the new one, never half of one. */
	if (fflush(f) != 0 || ferror(f)) {
		r = -EIO;
		fclose(f);
		unlink(tmp);
		return r;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		return r;
	}
	return 0;
}
