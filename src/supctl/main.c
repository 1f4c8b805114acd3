/* main.c - supctl's command line: global options, commands, --help. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "parse.h"
#include "supctl.h"

/* Options a command may take, besides --help. */
enum {
	OPT_JSON = 1 << 0,      /* --json */
	OPT_FOLLOW = 1 << 1,    /* -f, --follow */
	OPT_LINES = 1 << 2,     /* -n, --lines N */
	OPT_SIGNAL = 1 << 3,    /* -s, --signal SIG */
	OPT_SINCE = 1 << 4,     /* --since DURATION|TIME */
	OPT_CONTAINER = 1 << 5, /* --container NAME */
};

struct command {
	const char *name;
	const char *args;   /* synopsis after the name */
	const char *help;   /* the options and what the command does */
	bool takes_name;
	unsigned options;   /* OPT_* */
};

static const struct command commands[] = {
	{ "list", "[--json]",
	  "One line per configured container: NAME STATE PID UPTIME RESTARTS OOM MEMORY\n"
	  "(MEMORY: current usage/limit, read from the container's cgroup). Reads the\n"
	  "database directly, so it works while supd is down.\n"
	  "  --json  one JSON array of objects with the fields name, state, pid,\n"
	  "          uptime (seconds, null when not running), restarts, oom_kills,\n"
	  "          memory_bytes, memory_max_bytes, started_at, last_exit_code,\n"
	  "          last_signal, last_reason.",
	  false, OPT_JSON },
	{ "status", "NAME [--json]",
	  "Everything known about one container: state and since when, pid, cgroup,\n"
	  "memory now, restarts, OOM kills, how the last run ended, its last 5 runs.\n"
	  "  --json  one JSON object.",
	  true, OPT_JSON },
	{ "start", "NAME",
	  "Start the container through supd and wait until its command runs (exit 0)\n"
	  "or its start failed (exit 1, with the reason).",
	  true, 0 },
	{ "stop", "NAME",
	  "Send the container its stop_signal, SIGKILL after stop_timeout, and wait\n"
	  "until it is gone. A stopped container is not restarted by its policy.",
	  true, 0 },
	{ "restart", "NAME", "Stop the container (as stop), then start it (as start).", true, 0 },
	{ "kill", "[-s SIG] NAME",
	  "Send a signal to the container's main process (PID 1 inside). Its end, if\n"
	  "it ends, is handled as any other exit (restart policy included).\n"
	  "  -s, --signal SIG  name (TERM, SIGHUP) or number; default KILL.\n"
	  "Note: PID 1 of a namespace gets only signals it handles, and SIGKILL.",
	  true, OPT_SIGNAL },
	{ "logs", "[-f] [-n N] NAME",
	  "Print the container's log (<log_dir>/NAME.log): one line per output line,\n"
	  "'TIME STREAM TEXT' with TIME in UTC and STREAM stdout or stderr.\n"
	  "  -n, --lines N  only the last N lines.\n"
	  "  -f, --follow   keep printing new lines as they are written (inotify;\n"
	  "                 follows the file across rotation). Ctrl-C ends it.",
	  true, OPT_FOLLOW | OPT_LINES },
	{ "events", "[-f] [--since DURATION|TIME] [--container NAME] [--json]",
	  "Print supd's event log from the database, oldest first.\n"
	  "  --since D|T        only events of the last duration D (10m, 2h) or since\n"
	  "                     the UTC time T (2026-12-04T17:00:00Z, 2026-12-04).\n"
	  "  --container NAME   only this container's events.\n"
	  "  --json             one JSON array; with -f one JSON object per line.\n"
	  "  -f, --follow       keep printing new events as supd records them\n"
	  "                     (woken by inotify on the database's WAL, no polling).",
	  false, OPT_FOLLOW | OPT_SINCE | OPT_CONTAINER | OPT_JSON },
	{ "reload", "",
	  "Make supd re-read its configuration (as SIGHUP does) and print what\n"
	  "changed: containers added are started, removed ones are stopped (their\n"
	  "history stays in the database), changed ones are restarted with the new\n"
	  "configuration, unchanged ones are not touched. A configuration with an\n"
	  "error changes nothing; the error (file:line) is printed and the exit\n"
	  "status is 1. [supd] settings take effect only when supd restarts.",
	  false, 0 },
	{ "daemon-reexec", "",
	  "Make supd save its state and execute its binary again in place (as\n"
	  "SIGUSR2 does), e.g. after an upgrade: same pid, so every container stays\n"
	  "its child and keeps running; output pipes and pidfds are handed over and\n"
	  "nothing is lost. Waits until the new supd answers and prints its version.",
	  false, 0 },
	{ "version", "", "Print supctl's version and, when supd answers, supd's.", false, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: supctl [GLOBAL OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Control supd and read its database.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].args);
	fprintf(f,
		"\n"
		"Global options:\n"
		"  -c, --config FILE  supd's configuration (default $SUP_CONFIG, else\n"
		"                     /etc/sup/supd.conf); the database and socket paths\n"
		"                     are read from it\n"
		"      --db PATH      the database (default: from the configuration)\n"
		"      --socket PATH  the control socket (default: from the configuration)\n"
		"  -h, --help         this help; 'supctl COMMAND --help' for a command\n"
		"  -V, --version      the version\n"
		"\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static void command_usage(FILE *f, const struct command *c)
{
	fprintf(f, "Usage: supctl %s %s\n\n%s\n", c->name, c->args, c->help);
}

int supctl_resolve_paths(struct supctl_opts *o, bool need_log_dir)
{
	if (o->db_path && o->socket_path && (o->log_dir || !need_log_dir))
		return 0;
	struct sup_config *cfg = NULL;
	struct sup_err err = { 0 };
	if (config_load(o->config_path, &cfg, &err) < 0) {
		fprintf(stderr, "supctl: %s (pass --db and --socket to skip the configuration)\n", err.msg);
		return SUPCTL_FAIL;
	}
	/* The paths point into cfg, which main() frees after the command. */
	if (!o->db_path)
		o->db_path = cfg->supd.db_path;
	if (!o->socket_path)
		o->socket_path = cfg->supd.socket_path;
	if (!o->log_dir)
		o->log_dir = cfg->supd.log_dir;
	o->config = cfg; /* status shows each container's configuration from it */
	return 0;
}

static int option_error(const struct command *cmd, const char *opt)
{
	fprintf(stderr, "supctl %s: %s is not an option of this command\n", cmd->name, opt);
	command_usage(stderr, cmd);
	return SUPCTL_USAGE;
}

static int run_command(const struct command *cmd, struct supctl_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'f' },
		{ "lines", required_argument, NULL, 'n' },
		{ "signal", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "container", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	optind = 0; /* 0, not 1: glibc then also forgets the "+" mode of the global parse */
	int c;
	const char *why = NULL;
	while ((c = getopt_long(argc, argv, "hfn:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			command_usage(stdout, cmd);
			return SUPCTL_OK;
		case 'j':
			if (!(cmd->options & OPT_JSON))
				return option_error(cmd, "--json");
			o->json = true;
			break;
		case 'f':
			if (!(cmd->options & OPT_FOLLOW))
				return option_error(cmd, "-f/--follow");
			o->follow = true;
			break;
		case 'n': {
			if (!(cmd->options & OPT_LINES))
				return option_error(cmd, "-n/--lines");
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0 || end == optarg) {
				fprintf(stderr, "supctl %s: -n wants a number of lines, not '%s'\n", cmd->name, optarg);
				return SUPCTL_USAGE;
			}
			o->lines = n;
			break;
		}
		case 's':
			if (!(cmd->options & OPT_SIGNAL))
				return option_error(cmd, "-s/--signal");
			if (parse_signal(optarg, &o->signal, &why) < 0) {
				fprintf(stderr, "supctl %s: bad signal '%s': %s\n", cmd->name, optarg, why);
				return SUPCTL_USAGE;
			}
			break;
		case 'S':
			if (!(cmd->options & OPT_SINCE))
				return option_error(cmd, "--since");
			if (parse_since(optarg, &o->since_ms) < 0) {
				fprintf(stderr, "supctl %s: --since wants a duration (10m, 2h) or a UTC time "
						"(2026-12-04T17:00:00Z, 2026-12-04), not '%s'\n", cmd->name, optarg);
				return SUPCTL_USAGE;
			}
			break;
		case 'C':
			if (!(cmd->options & OPT_CONTAINER))
				return option_error(cmd, "--container");
			if (!container_name_is_valid(optarg)) {
				fprintf(stderr, "supctl %s: '%s' is not a valid container name\n", cmd->name, optarg);
				return SUPCTL_USAGE;
			}
			o->container = optarg;
			break;
		default:
			command_usage(stderr, cmd);
			return SUPCTL_USAGE;
		}
	}
	const char *name = NULL;
	if (cmd->takes_name) {
		if (optind >= argc) {
			fprintf(stderr, "supctl %s: missing container NAME\n", cmd->name);
			command_usage(stderr, cmd);
			return SUPCTL_USAGE;
		}
		name = argv[optind++];
		if (!container_name_is_valid(name)) {
			fprintf(stderr, "supctl %s: '%s' is not a valid container name\n", cmd->name, name);
			return SUPCTL_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "supctl %s: unexpected argument '%s'\n", cmd->name, argv[optind]);
		command_usage(stderr, cmd);
		return SUPCTL_USAGE;
	}
	int r = supctl_resolve_paths(o, !strcmp(cmd->name, "logs"));
	if (r)
		return r;
	if (!strcmp(cmd->name, "list"))
		return supctl_list(o);
	if (!strcmp(cmd->name, "status"))
		return supctl_status(o, name);
	if (!strcmp(cmd->name, "logs"))
		return supctl_logs(o, name);
	if (!strcmp(cmd->name, "events"))
		return supctl_events(o);
	if (!strcmp(cmd->name, "version"))
		return supctl_version(o);
	if (!strcmp(cmd->name, "daemon-reexec"))
		return supctl_daemon_reexec(o);
	if (!strcmp(cmd->name, "kill")) {
		char arg[128];
		snprintf(arg, sizeof(arg), "%s %d", name, o->signal);
		return supctl_request(o, "kill", arg);
	}
	return supctl_request(o, cmd->name, name);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct supctl_opts o = { .config_path = getenv("SUP_CONFIG"), .lines = -1, .signal = 9 };
	int c;
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'd':
			o.db_path = optarg;
			break;
		case 's':
			o.socket_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return SUPCTL_OK;
		case 'V':
			printf("supctl %s\n", SUP_VERSION);
			return SUPCTL_OK;
		default:
			fprintf(stderr, "supctl: run 'supctl --help' for usage\n");
			return SUPCTL_USAGE;
		}
	}
	if (!o.config_path || !*o.config_path)
		o.config_path = "/etc/sup/supd.conf";
	if (optind >= argc) {
		usage(stderr);
		return SUPCTL_USAGE;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (!strcmp(commands[i].name, name)) {
			int r = run_command(&commands[i], &o, argc - optind, argv + optind);
			config_free(o.config);
			return r;
		}
	fprintf(stderr, "supctl: unknown command '%s'; run 'supctl --help' for the list\n", name);
	return SUPCTL_USAGE;
}
