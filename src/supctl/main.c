/* main.c - supctl's command line: global options, commands, --help. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "parse.h"
#include "supctl.h"

struct command {
	const char *name;
	const char *args;   /* synopsis after the name */
	const char *help;   /* one paragraph */
	bool takes_name;
	bool has_json;
};

static const struct command commands[] = {
	{ "list", "[--json]",
	  "One line per configured container: NAME STATE PID UPTIME RESTARTS OOM.\n"
	  "Reads the database directly, so it works while supd is down. With --json,\n"
	  "one JSON array of objects with the fields name, state, pid, uptime (seconds,\n"
	  "null when not running), restarts, oom_kills, started_at, last_exit_code,\n"
	  "last_signal, last_reason.",
	  false, true },
	{ "status", "NAME [--json]",
	  "Everything the database knows about one container: state and since when,\n"
	  "pid, restarts, OOM kills, how the last run ended, and its last 5 runs.",
	  true, true },
	{ "start", "NAME",
	  "Start the container through supd and wait until its command runs (exit 0)\n"
	  "or its start failed (exit 1, with the reason).",
	  true, false },
	{ "stop", "NAME",
	  "Send the container its stop_signal, SIGKILL after stop_timeout, and wait\n"
	  "until it is gone. A stopped container is not restarted by its policy.",
	  true, false },
	{ "restart", "NAME", "Stop the container (as stop), then start it (as start).", true, false },
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
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].args);
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

int supctl_resolve_paths(struct supctl_opts *o)
{
	if (o->db_path && o->socket_path)
		return 0;
	struct sup_config *cfg = NULL;
	struct sup_err err = { 0 };
	if (config_load(o->config_path, &cfg, &err) < 0) {
		fprintf(stderr, "supctl: %s (pass --db and --socket to skip the configuration)\n", err.msg);
		return SUPCTL_FAIL;
	}
	/* The strings live as long as supctl: it exits right after the command. */
	if (!o->db_path)
		o->db_path = xstrdup(cfg->supd.db_path);
	if (!o->socket_path)
		o->socket_path = xstrdup(cfg->supd.socket_path);
	config_free(cfg);
	return 0;
}

static int run_command(const struct command *cmd, struct supctl_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	optind = 0; /* 0, not 1: glibc then also forgets the "+" mode of the global parse */
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			command_usage(stdout, cmd);
			return SUPCTL_OK;
		}
		if (c == 'j' && cmd->has_json) {
			o->json = true;
			continue;
		}
		if (c == 'j')
			fprintf(stderr, "supctl %s: --json is not an option of this command\n", cmd->name);
		command_usage(stderr, cmd);
		return SUPCTL_USAGE;
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
	int r = supctl_resolve_paths(o);
	if (r)
		return r;
	if (!strcmp(cmd->name, "list"))
		return supctl_list(o);
	if (!strcmp(cmd->name, "status"))
		return supctl_status(o, name);
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
	struct supctl_opts o = { .config_path = getenv("SUP_CONFIG") };
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
		if (!strcmp(commands[i].name, name))
			return run_command(&commands[i], &o, argc - optind, argv + optind);
	fprintf(stderr, "supctl: unknown command '%s'; run 'supctl --help' for the list\n", name);
	return SUPCTL_USAGE;
}
