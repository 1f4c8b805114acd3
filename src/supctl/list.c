/* list.c - `supctl list` and `supctl status`: read the database directly
 * (read-only), so they work while supd is down and never block it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup.h"
#include "dbsync.h"
#include "spawn.h"
#include "supctl.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct usage {
	bool known;
	uint64_t memory, memory_max, pids;
};

/* Read from the container's cgroup now, if its recorded process is still
 * the one the database means (same start time: no reused pid). */
static struct usage read_usage(const struct store_container *c)
{
	struct usage u = { 0 };
	uint64_t st;
	if (c->pid <= 0 || spawn_read_starttime((pid_t)c->pid, &st) < 0 || st != c->pid_starttime)
		return u;
	u.known = cgroup_read_usage("/sys/fs/cgroup", (pid_t)c->pid, &u.memory, &u.memory_max, &u.pids) == 0;
	return u;
}

/* 1536 -> "1.5K", binary units like the config's sizes */
static void format_bytes(uint64_t v, char *buf, size_t size)
{
	static const char units[] = "BKMGTP";
	double d = (double)v;
	int i = 0;
	while (d >= 1024 && i < 5) {
		d /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, size, "%lluB", (unsigned long long)v);
	else
		snprintf(buf, size, d < 10 ? "%.1f%c" : "%.0f%c", d, units[i]);
}

static void format_memory(const struct usage *u, char *buf, size_t size)
{
	char cur[16], max[16] = "-";
	if (!u->known) {
		snprintf(buf, size, "-");
		return;
	}
	format_bytes(u->memory, cur, sizeof(cur));
	if (u->memory_max)
		format_bytes(u->memory_max, max, sizeof(max));
	snprintf(buf, size, "%s/%s", cur, max);
}

static bool state_is_up(const char *state)
{
	return !strcmp(state, "running") || !strcmp(state, "starting") || !strcmp(state, "stopping");
}

static int open_db(const struct supctl_opts *o, struct store **ret)
{
	struct sup_err err = { 0 };
	int r = store_open_readonly(o->db_path, ret, &err);
	if (r == -ENOENT)
		fprintf(stderr, "supctl: no database at %s: supd has not run with this configuration yet; start it with 'supd -c %s'\n",
			o->db_path, o->config_path);
	else if (r < 0)
		fprintf(stderr, "supctl: database %s: %s\n", o->db_path, err.msg);
	return r;
}

/* supd leaves a status file next to its socket while it cannot commit
 * (see DBSYNC_STATUS_SUFFIX): what list and status show may be behind. A
 * file whose supd is gone is stale and says nothing. */
static void warn_if_db_behind(const struct supctl_opts *o)
{
	char path[4200], line[1024];
	snprintf(path, sizeof(path), "%s%s", o->socket_path, DBSYNC_STATUS_SUFFIX);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	bool got = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	int pid = 0, at = 0;
	if (!got || sscanf(line, "%d %n", &pid, &at) != 1 || pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return;
	line[strcspn(line, "\n")] = 0;
	fprintf(stderr, "supctl: warning: supd cannot write the database (%s); it keeps the changes in memory "
		"and catches up when it can, so this may be out of date\n", line + at);
}

static void print_json_int_or_null(FILE *f, int64_t v, bool is_null)
{
	if (is_null)
		fputs("null", f);
	else
		fprintf(f, "%lld", (long long)v);
}

static void print_list_json(const struct store_container *cs, int n, int64_t now)
{
	printf("[");
	for (int i = 0; i < n; i++) {
		const struct store_container *c = &cs[i];
		bool up = state_is_up(c->state) && c->started_at_ms > 0;
		char started[32] = "";
		if (c->started_at_ms)
			store_format_time(c->started_at_ms, started, sizeof(started));
		printf("%s\n  {\"name\": ", i ? "," : "");
		json_print_string(stdout, c->name);
		printf(", \"state\": ");
		json_print_string(stdout, c->state);
		printf(", \"pid\": ");
		print_json_int_or_null(stdout, c->pid, c->pid == 0);
		printf(", \"uptime\": ");
		print_json_int_or_null(stdout, (now - c->started_at_ms) / 1000, !up);
		struct usage u = read_usage(c);
		printf(", \"restarts\": %lld, \"oom_kills\": %lld, \"memory_bytes\": ", (long long)c->restarts, (long long)c->oom_kills);
		print_json_int_or_null(stdout, (int64_t)u.memory, !u.known);
		printf(", \"memory_max_bytes\": ");
		print_json_int_or_null(stdout, (int64_t)u.memory_max, !u.known || !u.memory_max);
		printf(", \"started_at\": ");
		if (c->started_at_ms)
			json_print_string(stdout, started);
		else
			fputs("null", stdout);
		printf(", \"last_exit_code\": ");
		print_json_int_or_null(stdout, c->last_exit_code, c->last_exit_code < 0);
		printf(", \"last_signal\": ");
		print_json_int_or_null(stdout, c->last_signal, c->last_signal == 0);
		printf(", \"last_reason\": ");
		json_print_string(stdout, c->last_reason);
		printf("}");
	}
	printf("%s]\n", n ? "\n" : "");
}

static void print_list_table(const struct store_container *cs, int n, int64_t now)
{
	int w = 4;
	for (int i = 0; i < n; i++) {
		int len = (int)strlen(cs[i].name);
		if (len > w)
			w = len;
	}
	printf("%-*s  %-10s  %7s  %8s  %8s  %4s  %s\n", w, "NAME", "STATE", "PID", "UPTIME", "RESTARTS", "OOM", "MEMORY");
	for (int i = 0; i < n; i++) {
		const struct store_container *c = &cs[i];
		char pid[24] = "-", uptime[32] = "-";
		if (c->pid)
			snprintf(pid, sizeof(pid), "%lld", (long long)c->pid);
		if (state_is_up(c->state) && c->started_at_ms)
			format_duration(now - c->started_at_ms, uptime, sizeof(uptime));
		char mem[40];
		struct usage u = read_usage(c);
		format_memory(&u, mem, sizeof(mem));
		printf("%-*s  %-10s  %7s  %8s  %8lld  %4lld  %s\n", w, c->name, c->state, pid, uptime, (long long)c->restarts,
		       (long long)c->oom_kills, mem);
	}
}

int supctl_list(const struct supctl_opts *o)
{
	struct store *s = NULL;
	if (open_db(o, &s) < 0)
		return SUPCTL_FAIL;
	struct store_container *cs = NULL;
	int n = 0;
	int r = store_list_containers(s, &cs, &n);
	store_close(s);
	if (r < 0) {
		fprintf(stderr, "supctl: reading %s: %s\n", o->db_path, strerror(-r));
		return SUPCTL_FAIL;
	}
	int64_t now = now_ms();
	if (o->json)
		print_list_json(cs, n, now);
	else
		print_list_table(cs, n, now);
	free(cs);
	warn_if_db_behind(o);
	return SUPCTL_OK;
}

/* What the configuration says about the container, when supctl has it. */
static void print_config_summary(const struct container_config *cfg)
{
	char b[32];
	printf("Command:    %s\n", cfg->command);
	printf("Rootfs:     %s\n", cfg->rootfs);
	printf("Network:    %s\n", network_mode_to_string(cfg->network));
	printf("Init:       %s\n", cfg->init ? "yes (sup-init is PID 1, the command its child)" : "no (the command is PID 1)");
	if (cfg->has_user)
		printf("User:       %u:%u\n", cfg->uid, cfg->gid);
	else
		printf("User:       root\n");
	if (cfg->userns)
		printf("Userns:     yes, uid_map %u %u %u, gid_map %u %u %u\n", cfg->uid_map.inside, cfg->uid_map.outside,
		       cfg->uid_map.count, cfg->gid_map.inside, cfg->gid_map.outside, cfg->gid_map.count);
	else
		printf("Userns:     no (root inside is root on the host)\n");
	printf("Restart:    %s (delay %llu ms, max %llu ms, start_limit %u/%llu ms), oom_policy %s\n",
	       restart_policy_to_string(cfg->restart), (unsigned long long)cfg->restart_delay_ms,
	       (unsigned long long)cfg->restart_delay_max_ms, cfg->start_limit_burst,
	       (unsigned long long)cfg->start_limit_window_ms, oom_policy_to_string(cfg->oom_policy));
	printf("Limits:     memory_max ");
	if (cfg->memory_max) {
		format_bytes(cfg->memory_max, b, sizeof(b));
		printf("%s", b);
	} else
		printf("none");
	if (cfg->cpu_max)
		printf(", cpu_max %u.%03u", cfg->cpu_max / 1000, cfg->cpu_max % 1000);
	else
		printf(", cpu_max none");
	if (cfg->pids_max)
		printf(", pids_max %u\n", cfg->pids_max);
	else
		printf(", pids_max none\n");
}

static void print_status_text(const struct store_container *c, const struct container_config *cfg,
			      const struct store_run *runs, int n_runs, int64_t now)
{
	char t[32], d[32];
	printf("Name:       %s\n", c->name);
	if (cfg)
		print_config_summary(cfg);
	store_format_time(c->state_since_ms, t, sizeof(t));
	format_duration(now - c->state_since_ms, d, sizeof(d));
	printf("State:      %s since %s (%s ago)\n", c->state, t, d);
	if (c->pid)
		printf("PID:        %lld\n", (long long)c->pid);
	if (c->started_at_ms) {
		store_format_time(c->started_at_ms, t, sizeof(t));
		printf("Started:    %s\n", t);
	}
	if (c->cgroup[0])
		printf("Cgroup:     %s\n", c->cgroup);
	struct usage u = read_usage(c);
	if (u.known) {
		char mem[40];
		format_memory(&u, mem, sizeof(mem));
		printf("Memory:     %s (usage/limit)\n", mem);
		printf("Processes:  %llu\n", (unsigned long long)u.pids);
	}
	printf("Restarts:   %lld\n", (long long)c->restarts);
	printf("OOM kills:  %lld\n", (long long)c->oom_kills);
	if (c->last_reason[0])
		printf("Last exit:  %s\n", c->last_reason);
	printf("\nLast runs:\n  %-6s  %-7s  %-24s  %-10s  %s\n", "RUN", "PID", "STARTED", "DURATION", "HOW IT ENDED");
	for (int i = 0; i < n_runs; i++) {
		const struct store_run *r = &runs[i];
		store_format_time(r->started_at_ms, t, sizeof(t));
		format_duration((r->ended_at_ms ? r->ended_at_ms : now) - r->started_at_ms, d, sizeof(d));
		char pid[24] = "-";
		if (r->pid)
			snprintf(pid, sizeof(pid), "%lld", (long long)r->pid);
		printf("  %-6lld  %-7s  %-24s  %-10s  %s%s\n", (long long)r->id, pid, t, d,
		       r->ended_at_ms ? r->reason : "running", r->oom_killed ? " (OOM)" : "");
	}
}

static void print_status_json(const struct store_container *c, const struct store_run *runs, int n_runs, int64_t now)
{
	char t[32];
	printf("{\"name\": ");
	json_print_string(stdout, c->name);
	printf(", \"state\": ");
	json_print_string(stdout, c->state);
	store_format_time(c->state_since_ms, t, sizeof(t));
	printf(", \"state_since\": ");
	json_print_string(stdout, t);
	printf(", \"pid\": ");
	print_json_int_or_null(stdout, c->pid, c->pid == 0);
	printf(", \"uptime\": ");
	print_json_int_or_null(stdout, (now - c->started_at_ms) / 1000, !(state_is_up(c->state) && c->started_at_ms));
	printf(", \"cgroup\": ");
	json_print_string(stdout, c->cgroup);
	struct usage u = read_usage(c);
	printf(", \"memory_bytes\": ");
	print_json_int_or_null(stdout, (int64_t)u.memory, !u.known);
	printf(", \"memory_max_bytes\": ");
	print_json_int_or_null(stdout, (int64_t)u.memory_max, !u.known || !u.memory_max);
	printf(", \"processes\": ");
	print_json_int_or_null(stdout, (int64_t)u.pids, !u.known);
	printf(", \"restarts\": %lld, \"oom_kills\": %lld, \"last_reason\": ", (long long)c->restarts, (long long)c->oom_kills);
	json_print_string(stdout, c->last_reason);
	printf(", \"runs\": [");
	for (int i = 0; i < n_runs; i++) {
		const struct store_run *r = &runs[i];
		store_format_time(r->started_at_ms, t, sizeof(t));
		printf("%s{\"id\": %lld, \"pid\": ", i ? ", " : "", (long long)r->id);
		print_json_int_or_null(stdout, r->pid, r->pid == 0);
		printf(", \"started_at\": ");
		json_print_string(stdout, t);
		printf(", \"ended_at\": ");
		if (r->ended_at_ms) {
			store_format_time(r->ended_at_ms, t, sizeof(t));
			json_print_string(stdout, t);
		} else
			fputs("null", stdout);
		printf(", \"exit_code\": ");
		print_json_int_or_null(stdout, r->exit_code, r->exit_code < 0);
		printf(", \"signal\": ");
		print_json_int_or_null(stdout, r->signal, r->signal == 0);
		printf(", \"oom_killed\": %s, \"reason\": ", r->oom_killed ? "true" : "false");
		json_print_string(stdout, r->reason);
		printf("}");
	}
	printf("]}\n");
}

int supctl_status(const struct supctl_opts *o, const char *name)
{
	struct store *s = NULL;
	if (open_db(o, &s) < 0)
		return SUPCTL_FAIL;
	struct store_container c;
	struct store_run *runs = NULL;
	int n_runs = 0;
	int r = store_get_container(s, name, &c);
	if (r == 0)
		r = store_list_runs(s, name, 5, &runs, &n_runs);
	store_close(s);
	if (r == -ENOENT) {
		fprintf(stderr, "supctl: no container named '%s'; 'supctl list' shows them\n", name);
		return SUPCTL_FAIL;
	}
	if (r < 0) {
		fprintf(stderr, "supctl: reading %s: %s\n", o->db_path, strerror(-r));
		return SUPCTL_FAIL;
	}
	if (o->json)
		print_status_json(&c, runs, n_runs, now_ms());
	else
		print_status_text(&c, o->config ? config_find(o->config, name) : NULL, runs, n_runs, now_ms());
	free(runs);
	warn_if_db_behind(o);
	return SUPCTL_OK;
}
