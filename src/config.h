/* config.h - the parsed configuration: [supd] settings and one struct per
 * [container:NAME] section. Pure: config_load reads files but changes
 * nothing on the host; it either returns a complete, validated config or an
 * error naming file, line, key and why (nothing half-applied). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "caps.h"
#include "err.h"
#include "parse.h"

enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS, _RESTART_POLICY_MAX };
enum oom_policy { OOM_POLICY_KILL, OOM_POLICY_CONTINUE, _OOM_POLICY_MAX };
enum network_mode { NETWORK_NONE, NETWORK_HOST, _NETWORK_MODE_MAX };
/* seccomp = default: the filter of seccomp_filter.h; none: no filter. */
enum seccomp_policy { SECCOMP_POLICY_DEFAULT, SECCOMP_POLICY_NONE, _SECCOMP_POLICY_MAX };

const char *restart_policy_to_string(enum restart_policy p);
const char *oom_policy_to_string(enum oom_policy p);
const char *network_mode_to_string(enum network_mode m);
const char *seccomp_policy_to_string(enum seccomp_policy p);

/* One rlimit_* key; not set: the limit supd itself has is inherited. */
struct config_rlimit {
	bool set;
	uint64_t soft, hard; /* RLIMIT_VALUE_UNLIMITED (parse.h) = RLIM_INFINITY */
};

struct container_config {
	char *name;
	char *file;  /* config file that defined it, for messages */
	int line;    /* line of the [container:NAME] header */
	char *rootfs;           /* absolute path, an existing directory */
	char *command;          /* as written, for display */
	char **argv;            /* parse_command() result, one allocation */
	char *workdir;          /* NULL: "/" */
	char *hostname;         /* defaults to name */
	char **env;             /* NULL-terminated "K=V" list, may be empty */
	int n_env;
	bool has_user;
	uint32_t uid, gid;
	enum network_mode network;
	uint64_t memory_max;    /* bytes, 0 = unlimited */
	uint32_t cpu_max;       /* millicpus, 0 = unlimited */
	uint32_t pids_max;      /* 0 = unlimited */
	enum restart_policy restart;
	uint64_t restart_delay_ms;     /* first backoff delay */
	uint64_t restart_delay_max_ms; /* backoff cap */
	uint64_t restart_reset_ms;     /* healthy running time that resets backoff */
	uint32_t start_limit_burst;    /* failed starts allowed ... */
	uint64_t start_limit_window_ms;/* ... within this window */
	enum oom_policy oom_policy;
	int stop_signal;
	uint64_t stop_timeout_ms;
	bool autostart;
	bool readonly_rootfs;
	cap_mask_t capabilities;  /* bounding set; also effective/permitted for uid 0 */
	bool keep_capabilities;   /* non-root user: keep capabilities as ambient caps */
	bool no_new_privs;        /* PR_SET_NO_NEW_PRIVS before execve; default yes */
	enum seccomp_policy seccomp; /* default SECCOMP_POLICY_DEFAULT */
	struct config_rlimit rlimit_nofile, rlimit_nproc, rlimit_core; /* core in bytes */
	bool init;              /* sup-init runs as PID 1 and the command as its child */
	bool userns;            /* own user namespace with the maps below */
	struct id_map uid_map;  /* with userns: default 0 100000 65536; else all 0 */
	struct id_map gid_map;
};

struct supd_settings {
	char *state_dir;     /* default /var/lib/sup */
	char *run_dir;       /* default /run/sup */
	char *log_dir;       /* default /var/log/sup */
	char *cgroup_parent; /* "auto", an absolute cgroup path, or a group below supd's own */
	char *db_path;       /* default <state_dir>/sup.db */
	char *socket_path;   /* default <run_dir>/supd.sock */
	uint64_t log_max_size; /* bytes; a container log is rotated past it; 0 = never; default 10M */
	uint32_t log_keep;     /* rotated logs kept per container (<name>.log.1 ...); default 5 */
	char *metrics_file;    /* Prometheus text file, rewritten on change; NULL = none */
	uint64_t events_keep_ms; /* events older than this are pruned from the database; 0 = keep forever; default 30 days */
	char *control_group;   /* group allowed on the control socket, as written; NULL = root only */
	uint32_t control_gid;  /* its gid, looked up when the config is read */
	char *init_path;       /* sup-init for init = yes; NULL = found relative to supd's binary */
};

struct sup_config {
	char *path; /* main config file */
	struct supd_settings supd;
	struct container_config *containers; /* sorted by name */
	int n_containers;
};

/* Parse the main config file at path and every file its `include` globs
 * name (relative globs are relative to the main file's directory). On
 * success *ret owns a new config (free with config_free). On failure
 * returns -errno and err holds "FILE:LINE: key 'K': why" or similar. */
int config_load(const char *path, struct sup_config **ret, struct sup_err *err);

/* Same, from a string (for tests); name is used in messages. */
int config_load_string(const char *name, const char *text, struct sup_config **ret, struct sup_err *err);

struct sup_config *config_free(struct sup_config *c);

const struct container_config *config_find(const struct sup_config *c, const char *name);

/* true when a and b would run the same container (for reload). */
bool container_config_equal(const struct container_config *a, const struct container_config *b);
