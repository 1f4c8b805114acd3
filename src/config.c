/* config.c - turns supd.conf, and the files its `include` globs name, into a
 * validated struct sup_config (see config.h): what each section and key
 * means. How lines are read is config_ini.c's job; files and include globs
 * are config_files.c's.
 *
 * Reads files and stats rootfs directories, changes nothing. On failure no
 * partial config escapes and err holds one line:
 *   FILE:LINE: [section] key 'KEY': why     (a key or its value)
 *   FILE:LINE: [section]: why               (a whole section)
 *   FILE:LINE: why                          (syntax) */
#include <assert.h>
#include <ctype.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "config-internal.h"
#include "parse.h"

#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1)

static const char *const restart_policy_table[] = {
	[RESTART_NO] = "no",
	[RESTART_ON_FAILURE] = "on-failure",
	[RESTART_ALWAYS] = "always",
};
static_assert(ELEMENTSOF(restart_policy_table) == _RESTART_POLICY_MAX, "restart_policy_table");

static const char *const oom_policy_table[] = {
	[OOM_POLICY_KILL] = "kill",
	[OOM_POLICY_CONTINUE] = "continue",
};
static_assert(ELEMENTSOF(oom_policy_table) == _OOM_POLICY_MAX, "oom_policy_table");

static const char *const network_mode_table[] = {
	[NETWORK_NONE] = "none",
	[NETWORK_HOST] = "host",
};
static_assert(ELEMENTSOF(network_mode_table) == _NETWORK_MODE_MAX, "network_mode_table");

static const char *const seccomp_policy_table[] = {
	[SECCOMP_POLICY_DEFAULT] = "default",
	[SECCOMP_POLICY_NONE] = "no",
};
static_assert(ELEMENTSOF(seccomp_policy_table) == _SECCOMP_POLICY_MAX, "seccomp_policy_table");

const char *restart_policy_to_string(enum restart_policy p)
{
	return (unsigned)p < ELEMENTSOF(restart_policy_table) ? restart_policy_table[p] : NULL;
}

const char *oom_policy_to_string(enum oom_policy p)
{
	return (unsigned)p < ELEMENTSOF(oom_policy_table) ? oom_policy_table[p] : NULL;
}

const char *network_mode_to_string(enum network_mode m)
{
	return (unsigned)m < ELEMENTSOF(network_mode_table) ? network_mode_table[m] : NULL;
}

const char *seccomp_policy_to_string(enum seccomp_policy p)
{
	return (unsigned)p < ELEMENTSOF(seccomp_policy_table) ? seccomp_policy_table[p] : NULL;
}

/* ---- keys ---- */

enum key_type {
	KEY_PATH,          /* char *, absolute path */
	KEY_CGROUP_PARENT, /* char *, "auto", absolute, or relative to supd's own cgroup */
	KEY_SOCKET,        /* char *, absolute, fits sun_path */
	KEY_INCLUDE,       /* glob pattern, kept in the parser */
	KEY_ROOTFS,        /* char *, absolute, an existing directory */
	KEY_COMMAND,       /* command + argv */
	KEY_HOSTNAME,      /* char * */
	KEY_ENV,           /* env + n_env */
	KEY_USER,          /* has_user, uid, gid */
	KEY_NETWORK,       /* enum network_mode */
	KEY_RESTART,       /* enum restart_policy */
	KEY_OOM_POLICY,    /* enum oom_policy */
	KEY_SIZE,          /* uint64_t bytes */
	KEY_CPU,           /* uint32_t millicpus */
	KEY_U32,           /* uint32_t */
	KEY_DURATION,      /* uint64_t ms */
	KEY_START_LIMIT,   /* start_limit_burst + start_limit_window_ms */
	KEY_SIGNAL,        /* int */
	KEY_BOOL,          /* bool */
	KEY_GROUP,         /* control_group + control_gid: a group name or number */
	KEY_CAPS,          /* cap_mask_t */
	KEY_SECCOMP,       /* enum seccomp_policy */
	KEY_RLIMIT_COUNT,  /* struct config_rlimit, counts */
	KEY_RLIMIT_SIZE,   /* struct config_rlimit, bytes */
	KEY_ID_MAP,        /* struct id_map */
};

struct key_def {
	const char *name;
	enum key_type type;
	size_t offset; /* of the field in struct supd_settings / container_config */
	bool repeatable;
};

#define SUPD_KEY(n, t, f) { n, t, offsetof(struct supd_settings, f), false }
#define CTR_KEY(n, t, f) { n, t, offsetof(struct container_config, f), false }

static const struct key_def supd_keys[] = {
	SUPD_KEY("state_dir", KEY_PATH, state_dir),
	SUPD_KEY("run_dir", KEY_PATH, run_dir),
	SUPD_KEY("log_dir", KEY_PATH, log_dir),
	SUPD_KEY("cgroup_parent", KEY_CGROUP_PARENT, cgroup_parent),
	SUPD_KEY("db", KEY_PATH, db_path),
	SUPD_KEY("socket", KEY_SOCKET, socket_path),
	SUPD_KEY("log_max_size", KEY_SIZE, log_max_size),
	SUPD_KEY("log_keep", KEY_U32, log_keep),
	SUPD_KEY("events_keep", KEY_DURATION, events_keep_ms),
	SUPD_KEY("metrics_file", KEY_PATH, metrics_file),
	SUPD_KEY("control_group", KEY_GROUP, control_group),
	SUPD_KEY("init_path", KEY_PATH, init_path),
	{ "include", KEY_INCLUDE, 0, true },
};

static const struct key_def container_keys[] = {
	CTR_KEY("rootfs", KEY_ROOTFS, rootfs),
	CTR_KEY("command", KEY_COMMAND, command),
	CTR_KEY("workdir", KEY_PATH, workdir),
	CTR_KEY("hostname", KEY_HOSTNAME, hostname),
	{ "env", KEY_ENV, offsetof(struct container_config, env), true },
	CTR_KEY("user", KEY_USER, uid),
	CTR_KEY("network", KEY_NETWORK, network),
	CTR_KEY("memory_max", KEY_SIZE, memory_max),
	CTR_KEY("cpu_max", KEY_CPU, cpu_max),
	CTR_KEY("pids_max", KEY_U32, pids_max),
	CTR_KEY("restart", KEY_RESTART, restart),
	CTR_KEY("restart_delay", KEY_DURATION, restart_delay_ms),
	CTR_KEY("restart_delay_max", KEY_DURATION, restart_delay_max_ms),
	CTR_KEY("restart_reset", KEY_DURATION, restart_reset_ms),
	CTR_KEY("start_limit", KEY_START_LIMIT, start_limit_burst),
	CTR_KEY("oom_policy", KEY_OOM_POLICY, oom_policy),
	CTR_KEY("stop_signal", KEY_SIGNAL, stop_signal),
	CTR_KEY("stop_timeout", KEY_DURATION, stop_timeout_ms),
	CTR_KEY("autostart", KEY_BOOL, autostart),
	CTR_KEY("readonly_rootfs", KEY_BOOL, readonly_rootfs),
	CTR_KEY("capabilities", KEY_CAPS, capabilities),
	CTR_KEY("keep_capabilities", KEY_BOOL, keep_capabilities),
	CTR_KEY("no_new_privs", KEY_BOOL, no_new_privs),
	CTR_KEY("seccomp", KEY_SECCOMP, seccomp),
	CTR_KEY("rlimit_nofile", KEY_RLIMIT_COUNT, rlimit_nofile),
	CTR_KEY("rlimit_nproc", KEY_RLIMIT_COUNT, rlimit_nproc),
	CTR_KEY("rlimit_core", KEY_RLIMIT_SIZE, rlimit_core),
	CTR_KEY("init", KEY_BOOL, init),
	CTR_KEY("userns", KEY_BOOL, userns),
	CTR_KEY("uid_map", KEY_ID_MAP, uid_map),
	CTR_KEY("gid_map", KEY_ID_MAP, gid_map),
};

static_assert(ELEMENTSOF(supd_keys) <= MAX_KEYS, "MAX_KEYS");
static_assert(ELEMENTSOF(container_keys) <= MAX_KEYS, "MAX_KEYS");

static const struct key_def *key_lookup(const struct key_def *table, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

static void container_config_done(struct container_config *c)
{
	free(c->name);
	free(c->file);
	free(c->rootfs);
	free(c->command);
	free(c->argv);
	free(c->workdir);
	free(c->hostname);
	for (int i = 0; i < c->n_env; i++)
		free(c->env[i]);
	free(c->env);
	*c = (struct container_config){ 0 };
}

static void parser_done(struct parser *p)
{
	config_free(p->cfg);
	free(p->main_file);
	for (size_t i = 0; i < p->n_includes; i++)
		free(p->includes[i].pattern);
	free(p->includes);
	free(p->files);
	free(p->section_name);
	container_config_done(&p->cur);
	for (size_t i = 0; i < p->n_defined; i++)
		free(p->defined_names[i]);
	free(p->defined_names);
	ctable_done(&p->defined);
}

/* ---- errors ---- */

int config_error_at(struct parser *p, const char *file, int line, const char *section, const char *key,
		    const char *fmt, ...)
{
	char why[sizeof(p->err->msg)], where[sizeof(p->err->msg)];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(where, sizeof(where), "%s:%d:", file, line);
	/* A section header can be as long as a line; keep the why visible. */
	n = strlen(where);
	if (section)
		snprintf(where + n, sizeof(where) - n, " [%.*s%s]", ECHO_MAX, section,
			 strlen(section) > ECHO_MAX ? "..." : "");
	n = strlen(where);
	if (key)
		snprintf(where + n, sizeof(where) - n, " key '%.*s%s'", ECHO_MAX, key,
			 strlen(key) > ECHO_MAX ? "..." : "");
	p->r = sup_err_set(p->err, -EINVAL, "%s%s %s", where, section || key ? ":" : "", why);
	return p->r;
}

/* ---- values ---- */

static bool path_is_absolute(const char *s)
{
	return s[0] == '/';
}

/* s for quoting in a message, shortened so that the reason after it still
 * fits. One buffer: use once per message. */
static const char *echo(struct parser *p, const char *s)
{
	if (strlen(s) <= ECHO_MAX)
		return s;
	snprintf(p->echo_buf, sizeof(p->echo_buf), "%.*s...", ECHO_MAX, s);
	return p->echo_buf;
}

static bool hostname_is_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64) /* HOST_NAME_MAX */
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* The part before '=' of "K=V" when K is [A-Za-z_][A-Za-z0-9_]*; its length
 * or 0 when s is no such assignment. */
static size_t env_name_len(const char *s)
{
	size_t i;
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	for (i = 1; isalnum((unsigned char)s[i]) || s[i] == '_'; i++)
		;
	return s[i] == '=' ? i : 0;
}

static int parse_u32(const char *s, uint32_t *ret, const char **why)
{
	uint64_t v = 0;
	if (!isdigit((unsigned char)*s)) {
		*why = *s == '-' ? "must not be negative" : "not a number";
		return -EINVAL;
	}
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX) {
			*why = "too large";
			return -ERANGE;
		}
	}
	if (*s) {
		*why = "not a number";
		return -EINVAL;
	}
	*ret = (uint32_t)v;
	return 0;
}

static int enum_from_string(const char *const *table, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

/* "a, b or c" for an error message. */
static void enum_list(const char *const *table, size_t n, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && used < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		int k = snprintf(buf + used, size - used, "%s%s", sep, table[i]);
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

static int set_enum(struct parser *p, const char *key, const char *value, const char *const *table, size_t n,
		    int *field)
{
	char expected[128];
	int v = enum_from_string(table, n, value);
	if (v < 0) {
		enum_list(table, n, expected, sizeof(expected));
		return key_error(p, p->lineno, key, "invalid value '%s' (expected %s)", echo(p, value), expected);
	}
	*field = v;
	return 0;
}

static void set_string(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static int set_env(struct parser *p, struct container_config *c, const char *key, const char *value)
{
	size_t n = env_name_len(value);
	if (n == 0)
		return key_error(p, p->lineno, key,
				 "invalid environment variable '%s' (expected NAME=VALUE, NAME as in "
				 "[A-Za-z_][A-Za-z0-9_]*)",
				 echo(p, value));
	for (int i = 0; i < c->n_env; i++)
		if (strncmp(c->env[i], value, n + 1) == 0)
			return key_error(p, p->lineno, key, "variable '%.*s' is set twice",
					 (int)(n < ECHO_MAX ? n : ECHO_MAX), value);
	c->env = xrealloc(c->env, ((size_t)c->n_env + 2) * sizeof(char *));
	c->env[c->n_env++] = xstrdup(value);
	c->env[c->n_env] = NULL;
	return 0;
}

static int set_rootfs(struct parser *p, const char *key, const char *value, char **field)
{
	struct stat st;
	if (!path_is_absolute(value))
		return key_error(p, p->lineno, key, "rootfs '%s' is not an absolute path", echo(p, value));
	if (stat(value, &st) < 0) {
		const char *reason = strerror(errno);
		return key_error(p, p->lineno, key, "rootfs '%s': %s", echo(p, value), reason);
	}
	if (!S_ISDIR(st.st_mode))
		return key_error(p, p->lineno, key, "rootfs '%s' is not a directory", echo(p, value));
	set_string(field, value);
	return 0;
}

/* A group by name (looked up now, so a typo is a config error with its line)
 * or by number (need not exist in /etc/group). */
static int set_group(struct parser *p, const char *key, const char *value, struct supd_settings *s)
{
	const char *why = NULL;
	uint32_t gid;
	if (parse_u32(value, &gid, &why) < 0) {
		struct group *g = getgrnam(value);
		if (!g)
			return key_error(p, p->lineno, key, "no group named '%s'", echo(p, value));
		gid = g->gr_gid;
	}
	if (gid == (uint32_t)-1)
		return key_error(p, p->lineno, key, "invalid group number '%s'", echo(p, value));
	set_string(&s->control_group, value);
	s->control_gid = gid;
	return 0;
}

static int add_include(struct parser *p, const char *value)
{
	p->includes = xrealloc(p->includes, (p->n_includes + 1) * sizeof(*p->includes));
	p->includes[p->n_includes++] = (struct include_pattern){ xstrdup(value), p->lineno };
	return 0;
}

/* Store value into the field def names in base (a struct supd_settings or
 * struct container_config). */
/* A relative cgroup_parent: components of [A-Za-z0-9_.-], none "." or "..",
 * so it can only name a group below supd's own. */
static bool cgroup_relative_is_valid(const char *v)
{
	if (!*v || *v == '/' || v[strlen(v) - 1] == '/')
		return false;
	for (const char *c = v; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)c[i]) && !strchr("_.-", c[i]))
				return false;
		c += n;
		if (*c == '/')
			c++;
	}
	return true;
}

/* seccomp = default | no, and the booleans as synonyms (yes = default). */
static int set_seccomp(struct parser *p, const char *key, const char *value, enum seccomp_policy *field)
{
	bool on;
	if (parse_bool(value, &on, NULL) == 0) {
		*field = on ? SECCOMP_POLICY_DEFAULT : SECCOMP_POLICY_NONE;
		return 0;
	}
	if (strcmp(value, "default") == 0) {
		*field = SECCOMP_POLICY_DEFAULT;
		return 0;
	}
	return key_error(p, p->lineno, key, "invalid value '%s' (expected default, yes or no)", echo(p, value));
}

static int set_value(struct parser *p, const struct key_def *def, void *base, const char *value)
{
	void *field = (char *)base + def->offset;
	struct container_config *c = base; /* only for container keys */
	const char *key = def->name, *why = NULL, *kind = NULL;
	int r = 0;

	switch (def->type) {
	case KEY_PATH:
		if (!path_is_absolute(value))
			return key_error(p, p->lineno, key, "'%s' is not an absolute path", echo(p, value));
		set_string(field, value);
		return 0;
	case KEY_CGROUP_PARENT:
		if (strcmp(value, "auto") != 0 && !path_is_absolute(value) && !cgroup_relative_is_valid(value))
			return key_error(p, p->lineno, key,
					 "'%s' is neither 'auto', an absolute cgroup path, nor a group name below supd's own cgroup",
					 echo(p, value));
		set_string(field, value);
		return 0;
	case KEY_SOCKET:
		if (!path_is_absolute(value))
			return key_error(p, p->lineno, key, "'%s' is not an absolute path", echo(p, value));
		if (strlen(value) > SOCKET_PATH_MAX)
			return key_error(p, p->lineno, key, "'%s' is too long for a unix socket (max %zu bytes)",
					 echo(p, value), SOCKET_PATH_MAX);
		set_string(field, value);
		return 0;
	case KEY_GROUP:
		return set_group(p, key, value, base);
	case KEY_INCLUDE:
		return add_include(p, value);
	case KEY_ROOTFS:
		return set_rootfs(p, key, value, field);
	case KEY_COMMAND: {
		char **argv = NULL;
		r = parse_command(value, &argv, &why);
		if (r < 0) {
			kind = "command";
			break;
		}
		free(c->argv);
		c->argv = argv;
		set_string(&c->command, value);
		return 0;
	}
	case KEY_HOSTNAME:
		if (!hostname_is_valid(value))
			return key_error(p, p->lineno, key,
					 "invalid hostname '%s' (1-64 characters of A-Z a-z 0-9 _ . -)", value);
		set_string(field, value);
		return 0;
	case KEY_ENV:
		return set_env(p, c, key, value);
	case KEY_USER:
		r = parse_user(value, &c->uid, &c->gid, &why);
		if (r < 0) {
			kind = "user";
			break;
		}
		c->has_user = true;
		return 0;
	case KEY_NETWORK:
		return set_enum(p, key, value, network_mode_table, ELEMENTSOF(network_mode_table), field);
	case KEY_RESTART:
		return set_enum(p, key, value, restart_policy_table, ELEMENTSOF(restart_policy_table), field);
	case KEY_OOM_POLICY:
		return set_enum(p, key, value, oom_policy_table, ELEMENTSOF(oom_policy_table), field);
	case KEY_SIZE:
		r = parse_size(value, field, &why);
		kind = "size";
		break;
	case KEY_CPU:
		r = parse_cpu(value, field, &why);
		kind = "CPU count";
		break;
	case KEY_U32:
		r = parse_u32(value, field, &why);
		kind = "number";
		break;
	case KEY_DURATION:
		r = parse_duration_ms(value, field, &why);
		kind = "duration";
		break;
	case KEY_START_LIMIT:
		r = parse_start_limit(value, &c->start_limit_burst, &c->start_limit_window_ms, &why);
		kind = "start limit";
		break;
	case KEY_SIGNAL:
		r = parse_signal(value, field, &why);
		kind = "signal";
		break;
	case KEY_BOOL:
		r = parse_bool(value, field, &why);
		kind = "boolean";
		break;
	case KEY_CAPS:
		r = caps_parse(value, field, &why);
		kind = "capability list";
		break;
	case KEY_SECCOMP:
		return set_seccomp(p, key, value, field);
	case KEY_RLIMIT_COUNT:
	case KEY_RLIMIT_SIZE: {
		struct config_rlimit *rl = field;
		r = parse_rlimit(value, def->type == KEY_RLIMIT_SIZE, &rl->soft, &rl->hard, &why);
		rl->set = r == 0;
		kind = "limit";
		break;
	}
	case KEY_ID_MAP: {
		struct id_map *m = field;
		r = parse_id_map(value, m, &why);
		kind = "ID map";
		if (r == 0 && m->outside == 0)
			return key_error(p, p->lineno, key,
					 "'%s' maps the host's root (outside id 0) into the container; map an "
					 "unprivileged range such as 0 100000 65536",
					 echo(p, value));
		break;
	}
	}
	if (r < 0)
		return key_error(p, p->lineno, key, "invalid %s '%s': %s", kind, echo(p, value), why);
	return 0;
}

int config_set_key(struct parser *p, const char *key, const char *value)
{
	const struct key_def *table, *def, *other;
	size_t n, n_other;
	void *base;

	switch (p->section) {
	case SECTION_SUPD:
		table = supd_keys, n = ELEMENTSOF(supd_keys), base = &p->cfg->supd;
		other = container_keys, n_other = ELEMENTSOF(container_keys);
		break;
	case SECTION_CONTAINER:
		table = container_keys, n = ELEMENTSOF(container_keys), base = &p->cur;
		other = supd_keys, n_other = ELEMENTSOF(supd_keys);
		break;
	default:
		return key_error(p, p->lineno, key, "key outside of any section");
	}

	def = key_lookup(table, n, key);
	if (!def) {
		if (key_lookup(other, n_other, key))
			return key_error(p, p->lineno, key, "unknown key (it belongs in %s)",
					 p->section == SECTION_SUPD ? "a [container:NAME] section" : "[supd]");
		return key_error(p, p->lineno, key, "unknown key");
	}
	if (!def->repeatable && p->key_line[def - table])
		return key_error(p, p->lineno, key, "set twice (first at line %d)", p->key_line[def - table]);
	p->key_line[def - table] = p->lineno;
	if (!*value)
		return key_error(p, p->lineno, key, "empty value");
	return set_value(p, def, base, value);
}

/* ---- sections ---- */

static void container_init(struct container_config *c, const char *name, const char *file, int line)
{
	*c = (struct container_config){
		.name = xstrdup(name),
		.file = xstrdup(file),
		.line = line,
		.env = xcalloc(1, sizeof(char *)),
		.network = NETWORK_NONE,
		.restart = RESTART_ON_FAILURE,
		.restart_delay_ms = 100,
		.restart_delay_max_ms = 30 * 1000,
		.restart_reset_ms = 60 * 1000,
		.start_limit_burst = 10,
		.start_limit_window_ms = 60 * 1000,
		.oom_policy = OOM_POLICY_KILL,
		.stop_signal = SIGTERM,
		.stop_timeout_ms = 10 * 1000,
		.autostart = true,
		.readonly_rootfs = false,
		.capabilities = caps_default(),
		.no_new_privs = true,
		.seccomp = SECCOMP_POLICY_DEFAULT,
	};
}

static int container_key_line(const struct parser *p, const char *key)
{
	const struct key_def *def = key_lookup(container_keys, ELEMENTSOF(container_keys), key);
	assert(def);
	return p->ctr_key_line[def - container_keys];
}

#define USERNS_DEFAULT_MAP { .inside = 0, .outside = 100000, .count = 65536 }

/* One id map against the id the command runs as inside (uid or gid). */
static int check_id_map(struct parser *p, const struct container_config *c, const char *map_key,
			const struct id_map *m, const char *what, uint32_t id)
{
	int line = container_key_line(p, map_key);
	if (id_map_has_inside(m, id))
		return 0;
	if (c->has_user)
		return key_error(p, container_key_line(p, "user"), "user",
				 "%s %" PRIu32 " is not mapped by %s (%" PRIu32 " %" PRIu32 " %" PRIu32 ")", what, id,
				 map_key, m->inside, m->outside, m->count);
	return key_error(p, line, map_key,
			 "does not map %s 0, which the command runs as without 'user' (INSIDE must start at 0, or set "
			 "'user')", what);
}

/* uid_map and gid_map only mean something with userns = yes, which gives
 * them their defaults; the ids the command runs as must be mapped (the
 * kernel would refuse setuid to an unmapped id). */
static int check_userns(struct parser *p, struct container_config *c)
{
	static const struct id_map default_map = USERNS_DEFAULT_MAP;
	int uid_line = container_key_line(p, "uid_map"), gid_line = container_key_line(p, "gid_map");
	int r;

	if (!c->userns) {
		if (uid_line || gid_line)
			return key_error(p, uid_line ? uid_line : gid_line, uid_line ? "uid_map" : "gid_map",
					 "takes effect only with 'userns = yes'");
		return 0;
	}
	if (!uid_line)
		c->uid_map = default_map;
	if (!gid_line)
		c->gid_map = default_map;
	if ((r = check_id_map(p, c, "uid_map", &c->uid_map, "uid", c->has_user ? c->uid : 0)) < 0)
		return r;
	return check_id_map(p, c, "gid_map", &c->gid_map, "gid", c->has_user ? c->gid : 0);
}

/* Check what needs the whole section and move the container into cfg. */
static int end_container(struct parser *p)
{
	struct container_config *c = &p->cur;
	struct sup_config *cfg = p->cfg;
	int r;

	if (!c->rootfs)
		return section_error(p, p->section_line, "missing required key 'rootfs'");
	if (!c->command)
		return section_error(p, p->section_line, "missing required key 'command'");
	if (c->restart_delay_max_ms < c->restart_delay_ms) {
		int max_line = container_key_line(p, "restart_delay_max");
		if (max_line)
			return key_error(p, max_line, "restart_delay_max",
					 "%" PRIu64 "ms is shorter than restart_delay (%" PRIu64 "ms)",
					 c->restart_delay_max_ms, c->restart_delay_ms);
		return key_error(p, container_key_line(p, "restart_delay"), "restart_delay",
				 "%" PRIu64 "ms is longer than restart_delay_max (%" PRIu64 "ms)", c->restart_delay_ms,
				 c->restart_delay_max_ms);
	}
	if ((r = check_userns(p, c)) < 0)
		return r;
	if (!c->hostname)
		c->hostname = xstrdup(c->name);

	if ((size_t)cfg->n_containers == p->n_containers_alloc) {
		p->n_containers_alloc = p->n_containers_alloc ? 2 * p->n_containers_alloc : 8;
		cfg->containers = xrealloc(cfg->containers, p->n_containers_alloc * sizeof(*cfg->containers));
		p->defined_names = xrealloc(p->defined_names, p->n_containers_alloc * sizeof(*p->defined_names));
	}
	cfg->containers[cfg->n_containers] = *c;
	*c = (struct container_config){ 0 };

	/* Hashed: a linear search per section made loading 5,000 containers
	 * cost 40 ms of strcmp (supctl parses the config on every call). */
	struct defined_name *d = xmalloc(sizeof(*d));
	*d = (struct defined_name){ .link.name = cfg->containers[cfg->n_containers].name, .index = cfg->n_containers };
	if (p->n_defined == 0)
		ctable_init(&p->defined);
	p->defined_names[p->n_defined++] = d;
	ctable_add(&p->defined, &d->link);
	cfg->n_containers++;
	return 0;
}

int config_end_section(struct parser *p)
{
	enum section_kind kind = p->section;
	p->section = SECTION_NONE;
	return kind == SECTION_CONTAINER ? end_container(p) : 0;
}

static const char *startswith(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

static const struct container_config *find_defined(const struct parser *p, const char *name)
{
	struct ctable_link *l = p->n_defined ? ctable_find_name(&p->defined, name) : NULL;
	return l ? &p->cfg->containers[((struct defined_name *)l)->index] : NULL;
}

int config_begin_section(struct parser *p, const char *name, size_t len)
{
	const char *ctr;
	int r;

	r = config_end_section(p);
	if (r < 0)
		return r;
	free(p->section_name);
	p->section_name = xstrndup(name, len);
	p->section_line = p->lineno;
	p->key_seen = false;

	if (strcmp(p->section_name, "supd") == 0) {
		if (!p->is_main)
			return section_error(p, p->lineno, "only allowed in the main config file %s", p->main_file);
		if (p->supd_line)
			return section_error(p, p->lineno, "section appears twice (first at line %d)", p->supd_line);
		p->supd_line = p->lineno;
		p->key_line = p->supd_key_line;
		p->section = SECTION_SUPD;
		return 0;
	}

	ctr = startswith(p->section_name, "container:");
	if (!ctr)
		return section_error(p, p->lineno, "unknown section (expected [supd] or [container:NAME])");
	if (!container_name_is_valid(ctr))
		return section_error(p, p->lineno,
				     "invalid container name '%s' (1-63 characters of A-Z a-z 0-9 _ . -, "
				     "starting with a letter or digit)",
				     echo(p, ctr));
	const struct container_config *prev = find_defined(p, ctr);
	if (prev)
		return section_error(p, p->lineno, "duplicate container '%s' (first defined at %s:%d)", ctr,
				     prev->file, prev->line);

	container_init(&p->cur, ctr, p->file, p->lineno);
	memset(p->ctr_key_line, 0, sizeof(p->ctr_key_line));
	p->key_line = p->ctr_key_line;
	p->section = SECTION_CONTAINER;
	return 0;
}

static void apply_supd_defaults(struct supd_settings *s)
{
	if (!s->state_dir)
		s->state_dir = xstrdup("/var/lib/sup");
	if (!s->run_dir)
		s->run_dir = xstrdup("/run/sup");
	if (!s->log_dir)
		s->log_dir = xstrdup("/var/log/sup");
	if (!s->cgroup_parent)
		s->cgroup_parent = xstrdup("auto");
	if (!s->db_path)
		s->db_path = config_path_join(s->state_dir, "sup.db");
	if (!s->socket_path)
		s->socket_path = config_path_join(s->run_dir, "supd.sock");
}

static int check_supd(struct parser *p)
{
	const struct supd_settings *s = &p->cfg->supd;
	const struct key_def *run_dir = key_lookup(supd_keys, ELEMENTSOF(supd_keys), "run_dir");

	/* socket was checked when set; a default one derives from run_dir. */
	if (strlen(s->socket_path) > SOCKET_PATH_MAX)
		return supd_error(p, p->supd_key_line[run_dir - supd_keys], "run_dir",
				  "socket path '%s' would be too long for a unix socket (max %zu bytes); "
				  "set 'socket'",
				  echo(p, s->socket_path), SOCKET_PATH_MAX);
	return 0;
}

static int container_cmp(const void *a, const void *b)
{
	const struct container_config *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static int load_text(const char *path, const char *text, size_t len, const struct stat *st,
		     struct sup_config **ret, struct sup_err *err)
{
	_cleanup_(parser_done) struct parser p = { .err = err };
	_cleanup_free_ char *dir = NULL;
	int r;

	p.cfg = xcalloc(1, sizeof(*p.cfg));
	/* Numeric [supd] defaults go in before parsing, so that an explicit 0
	 * (never rotate, keep none, keep events forever) is told apart from
	 * "not set". */
	p.cfg->supd.log_max_size = 10ULL << 20;
	p.cfg->supd.log_keep = 5;
	p.cfg->supd.events_keep_ms = 30ULL * 24 * 60 * 60 * 1000;
	p.cfg->path = xstrdup(path);
	p.main_file = xstrdup(path);
	if (st) {
		p.files = xmalloc(sizeof(*p.files));
		p.files[p.n_files++] = (struct file_id){ st->st_dev, st->st_ino };
	}

	r = config_parse_text(&p, path, true, text, len);
	if (r < 0)
		return r;
	apply_supd_defaults(&p.cfg->supd);
	r = check_supd(&p);
	if (r < 0)
		return r;

	dir = config_glob_escaped_dir(path);
	for (size_t i = 0; i < p.n_includes; i++) {
		r = config_load_include(&p, &p.includes[i], dir);
		if (r < 0)
			return r;
	}

	if (p.cfg->n_containers > 1)
		qsort(p.cfg->containers, (size_t)p.cfg->n_containers, sizeof(*p.cfg->containers), container_cmp);
	*ret = TAKE_PTR(p.cfg);
	return 0;
}

int config_load(const char *path, struct sup_config **ret, struct sup_err *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len = 0;
	int r;

	fd = config_open_file(path, &st);
	if (fd < 0)
		return sup_err_set(err, fd, "%s: %s", path, config_open_error(fd));
	r = config_read_fd(fd, &text, &len);
	if (r < 0)
		return sup_err_set(err, r, "%s: %s", path, strerror(-r));
	return load_text(path, text, len, &st, ret, err);
}

int config_load_string(const char *name, const char *text, struct sup_config **ret, struct sup_err *err)
{
	return load_text(name, text, strlen(text), NULL, ret, err);
}

struct sup_config *config_free(struct sup_config *c)
{
	if (!c)
		return NULL;
	free(c->path);
	free(c->supd.state_dir);
	free(c->supd.run_dir);
	free(c->supd.log_dir);
	free(c->supd.cgroup_parent);
	free(c->supd.metrics_file);
	free(c->supd.control_group);
	free(c->supd.init_path);
	free(c->supd.db_path);
	free(c->supd.socket_path);
	for (int i = 0; i < c->n_containers; i++)
		container_config_done(&c->containers[i]);
	free(c->containers);
	free(c);
	return NULL;
}

const struct container_config *config_find(const struct sup_config *c, const char *name)
{
	struct container_config key = { .name = (char *)name };
	if (!c || !name || c->n_containers == 0)
		return NULL;
	return bsearch(&key, c->containers, (size_t)c->n_containers, sizeof(*c->containers), container_cmp);
}
