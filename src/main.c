/* main.c - supd's command line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "daemon.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: supd [-c FILE] [--foreground]\n"
		"\n"
		"Run and supervise the containers of the configuration: start them in\n"
		"their own namespaces, record every start, exit and state change in the\n"
		"SQLite database, and serve supctl on the control socket. supd stays in\n"
		"the foreground (run it under systemd or a terminal).\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE  main configuration file (default: $SUP_CONFIG, else\n"
		"                     /etc/sup/supd.conf)\n"
		"  -f, --foreground   accepted for compatibility; supd never daemonizes\n"
		"  -h, --help         show this help and exit\n"
		"  -V, --version      show the version and exit\n"
		"\n"
		"Signals: SIGTERM or SIGINT stop every container (stop_signal, then SIGKILL\n"
		"after stop_timeout) and exit 0.\n"
		"Environment: SUP_CONFIG (config file), SUP_LOG_LEVEL=debug.\n"
		"Exit status: 0 after a clean shutdown, 1 on a configuration or start-up\n"
		"error (nothing is started then), 2 on a usage error.\n");
}

/* Every container holds a log file and, while it runs, a pidfd and pipes:
 * thousands of them need more than the usual soft limit of 1024. The hard
 * limit is ours to take. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warning("raising the open-file limit to %llu: %m, ignoring", (unsigned long long)rl.rlim_max);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *config = getenv("SUP_CONFIG");
	int c;
	while ((c = getopt_long(argc, argv, "c:fhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'f':
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("supd %s\n", SUP_VERSION);
			return 0;
		default:
			fprintf(stderr, "supd: run 'supd --help' for usage\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "supd: unexpected argument '%s'; run 'supd --help' for usage\n", argv[optind]);
		return 2;
	}
	if (!config || !*config)
		config = "/etc/sup/supd.conf";
	log_init();
	raise_fd_limit();
	return daemon_run(config, argv);
}
