/* supctl.h - pieces of the supctl command line shared between its files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "store.h"

struct supctl_opts {
	const char *config_path; /* -c, $SUP_CONFIG, /etc/sup/supd.conf */
	const char *db_path;     /* --db, else from the config */
	const char *socket_path; /* --socket, else from the config */
	const char *log_dir;     /* from the config */
	bool json;               /* --json */
	bool follow;             /* -f */
	long lines;              /* -n N, -1 = all */
	int signal;              /* kill -s, default SIGKILL */
	int64_t since_ms;        /* --since, 0 = from the start */
	const char *container;   /* --container */
	struct sup_config *config; /* loaded when paths came from it; else NULL */
};

/* Exit statuses (DESIGN.md). */
enum { SUPCTL_OK = 0, SUPCTL_FAIL = 1, SUPCTL_USAGE = 2 };

/* Fill db_path/socket_path (and log_dir if asked) from the config where not
 * given. 0 or an exit status. */
int supctl_resolve_paths(struct supctl_opts *o, bool need_log_dir);

/* Send "verb arg" to supd and print its reply lines; returns an exit status. */
int supctl_request(const struct supctl_opts *o, const char *verb, const char *arg);

int supctl_list(const struct supctl_opts *o);
int supctl_logs(const struct supctl_opts *o, const char *name);
int supctl_events(const struct supctl_opts *o);
int supctl_version(const struct supctl_opts *o);

/* "10m" (that long ago) or "2026-12-04T17:00:00Z" / "2026-12-04" (UTC) -> ms
 * since the epoch. -EINVAL if neither. */
int parse_since(const char *s, int64_t *ret_ms);
int supctl_status(const struct supctl_opts *o, const char *name);

/* JSON string with quotes and escapes. */
void json_print_string(FILE *f, const char *s);
/* "1h02m", "45s", "3d4h" */
void format_duration(int64_t ms, char *buf, size_t size);
