/* fuzz_config.c - libFuzzer harness for the config parser: each input is a
 * whole supd.conf given to config_load_string(). A load must either give a
 * config or an error naming where, never crash, leak or hang.
 *
 * The parser reaches the filesystem in two places: `rootfs` stats its path
 * (read-only, harmless) and `include` globs read files. So that a fuzzed
 * include cannot read the host's files (/proc/kcore is a "regular file"),
 * this harness is linked with -Wl,--wrap=glob: patterns outside a private
 * temp directory, or climbing out of it with "..", match nothing. The temp
 * directory holds a few small include files for the fuzzer to find. */
#include "fuzz.h"
#include <stdbool.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "err.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int __wrap_glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *pglob);
int __real_glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *pglob);

static char sandbox[64];   /* the temp directory, "/tmp/sup-fuzz-XXXXXX" */
static char main_name[96]; /* the fuzzed config's name, inside sandbox */

static bool pattern_is_in_sandbox(const char *pattern)
{
	size_t n = strlen(sandbox);
	if (strncmp(pattern, sandbox, n) != 0 || pattern[n] != '/')
		return false;
	/* No component may start with "." or an escape: glob matches a leading
	 * dot only where the pattern spells it, so this keeps ".." out. */
	for (const char *c = pattern + n; *c; c++)
		if (c[0] == '/' && (c[1] == '.' || c[1] == '\\'))
			return false;
	return true;
}

int __wrap_glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *pglob)
{
	if (!pattern_is_in_sandbox(pattern))
		return GLOB_NOMATCH;
	return __real_glob(pattern, flags, errfunc, pglob);
}

static void write_file(const char *name, const char *text)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", sandbox, name);
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static void remove_sandbox(void)
{
	const char *names[] = { "a.conf", "b.conf", "bad.conf", "self.conf" };
	char path[160];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sandbox, names[i]);
		unlink(path);
	}
	rmdir(sandbox);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(sandbox, sizeof(sandbox), "/tmp/sup-fuzz-XXXXXX");
	if (!mkdtemp(sandbox))
		abort();
	atexit(remove_sandbox);
	snprintf(main_name, sizeof(main_name), "%s/supd.conf", sandbox);
	write_file("a.conf", "[container:a]\nrootfs = /\ncommand = /bin/true\n");
	write_file("b.conf", "[container:b]\nrootfs = /nonexistent\ncommand = x\n");
	write_file("bad.conf", "[supd]\nstate_dir = /x\n");
	write_file("self.conf", "[container:s]\nrootfs = /\ncommand = y\ninclude = *.conf\n");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);

	struct sup_config *cfg = NULL;
	struct sup_err err = { 0 };
	int r = config_load_string(main_name, text, &cfg, &err);
	if (r < 0) {
		CHECK(!cfg);
		CHECK(err.msg[0]);
	} else {
		CHECK(cfg);
		/* A second load of the same text is the same config: what a
		 * reload of an unchanged file relies on to restart nothing. */
		struct sup_config *again = NULL;
		CHECK(config_load_string(main_name, text, &again, &err) == 0);
		CHECK(again->n_containers == cfg->n_containers);
		for (int i = 0; i < cfg->n_containers; i++) {
			CHECK(config_find(cfg, cfg->containers[i].name) == &cfg->containers[i]);
			CHECK(container_config_equal(&cfg->containers[i], &again->containers[i]));
		}
		config_free(again);
		config_free(cfg);
	}
	free(text);
	return 0;
}
