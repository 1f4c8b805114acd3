/* fuzz_parse.c - libFuzzer harness for the value parsers of parse.h: each
 * input, as one NUL-terminated string, goes through every parser. A parser
 * must return 0 or -errno, set *why on failure, and never read past the
 * string, overflow or leak. */
#include "fuzz.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"


static void check_result(int r, const char *why)
{
	CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	CHECK(r == 0 || (why && *why));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);

	const char *why = NULL;
	uint64_t u64;
	uint32_t u32, u32b;
	int sig;
	bool b;
	char **argv = NULL;

	why = NULL;
	check_result(parse_size(s, &u64, &why), why);
	why = NULL;
	check_result(parse_duration_ms(s, &u64, &why), why);
	why = NULL;
	int r = parse_signal(s, &sig, &why);
	check_result(r, why);
	if (r == 0)
		(void)signal_to_name(sig);
	why = NULL;
	check_result(parse_bool(s, &b, &why), why);
	why = NULL;
	r = parse_cpu(s, &u32, &why);
	check_result(r, why);
	CHECK(r < 0 || u32 > 0);
	why = NULL;
	check_result(parse_start_limit(s, &u32, &u64, &why), why);
	why = NULL;
	check_result(parse_user(s, &u32, &u32b, &why), why);
	why = NULL;
	r = parse_command(s, &argv, &why);
	check_result(r, why);
	if (r == 0) {
		CHECK(argv[0]);
		for (char **a = argv; *a; a++)
			(void)strlen(*a);
		free(argv);
	}
	(void)container_name_is_valid(s);
	free(s);
	return 0;
}
