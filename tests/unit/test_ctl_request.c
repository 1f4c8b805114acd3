/* test_ctl_request.c - the control request decoder and encoder: good lines,
 * each kind of bad line with its error, and the round trip supctl relies on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_request.h"

static struct ctl_request req;

static int parse(const char *line, size_t len, struct sup_err *err)
{
	memset(&req, 0x55, sizeof(req));
	sup_err_clear(err);
	return ctl_request_parse(line, len, &req, err);
}

static void expect_ok(const char *line, const char *verb, const char *arg)
{
	struct sup_err err;
	int r = parse(line, strlen(line), &err);
	if (r != 0)
		print_message("line '%s': %s\n", line, err.msg);
	assert_int_equal(r, 0);
	assert_string_equal(req.verb, verb);
	assert_string_equal(req.arg, arg);
}

static void expect_error(const char *line, size_t len, int code, const char *msg_part)
{
	struct sup_err err;
	int r = parse(line, len, &err);
	if (r != code || !strstr(err.msg, msg_part))
		print_message("line '%.*s': r=%d msg='%s' (expected %d, '%s')\n", (int)len, line, r, err.msg, code,
			      msg_part);
	assert_int_equal(r, code);
	assert_non_null(strstr(err.msg, msg_part));
}

static void test_good(void **state)
{
	(void)state;
	expect_ok("sup/1 ping", "ping", "");
	expect_ok("sup/1 start web", "start", "web");
	expect_ok("  sup/1\tkill   web 15  ", "kill", "web 15");
	expect_ok("sup/1 stop web\r", "stop", "web");
	expect_ok("sup/1 start caf\xc3\xa9", "start", "caf\xc3\xa9");
	/* Only len bytes count: what follows (the newline, the next line) is not read. */
	const char two[] = "sup/1 reload\nsup/1 stop x";
	struct sup_err err;
	assert_int_equal(parse(two, 12, &err), 0);
	assert_string_equal(req.verb, "reload");
	assert_string_equal(req.arg, "");
}

static void test_version(void **state)
{
	(void)state;
	expect_error("start web", 9, -EPROTONOSUPPORT, "unsupported protocol version 'start': this supd speaks sup/1");
	expect_error("sup/2 ping", 10, -EPROTONOSUPPORT, "'sup/2'");
	expect_error("sup/10 ping", 11, -EPROTONOSUPPORT, "'sup/10'");
	char longv[100];
	memset(longv, 'v', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = 0;
	expect_error(longv, strlen(longv), -EPROTONOSUPPORT, "'vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv...'");
}

static void test_bad(void **state)
{
	(void)state;
	expect_error("", 0, -EINVAL, "empty request");
	expect_error("   \t", 4, -EINVAL, "empty request");
	expect_error("sup/1", 5, -EINVAL, "no verb");
	expect_error("sup/1 START", 11, -EINVAL, "malformed verb 'START'");
	expect_error("sup/1 start_now x", 17, -EINVAL, "malformed verb");
	expect_error("sup/1 -start x", 14, -EINVAL, "malformed verb");
	expect_error("sup/1 abcdefghijklmnop", 22, -EINVAL, "malformed verb");
	expect_error("sup/1 st\0art", 12, -EINVAL, "NUL byte at offset 8");
	expect_error("sup/1 start \x1b[2J", 16, -EINVAL, "control character 0x1b at offset 12");
	expect_error("sup/1 start a\rb", 15, -EINVAL, "control character 0x0d");
	expect_error("sup/1 start \x7f", 13, -EINVAL, "control character 0x7f");
	expect_error("sup/1 start \xff", 13, -EILSEQ, "not valid UTF-8 (at offset 12)");
	expect_error("sup/1 start \xc0\xaf", 14, -EILSEQ, "UTF-8");         /* overlong "/" */
	expect_error("sup/1 start \xed\xa0\x80", 15, -EILSEQ, "UTF-8");     /* surrogate */
	expect_error("sup/1 start \xf4\x90\x80\x80", 16, -EILSEQ, "UTF-8"); /* above U+10FFFF */
	expect_error("sup/1 start \xe2\x82", 14, -EILSEQ, "UTF-8");         /* cut short */
	static char big[CTL_MAX_LINE + 1];
	memset(big, 'a', sizeof(big));
	memcpy(big, "sup/1 start ", 12);
	expect_error(big, CTL_MAX_LINE, -EMSGSIZE, "request longer than 4095 bytes");
	struct sup_err err;
	assert_int_equal(parse(big, CTL_MAX_LINE - 1, &err), 0);
	assert_int_equal(strlen(req.arg), CTL_MAX_LINE - 1 - 12);
}

static void test_format(void **state)
{
	(void)state;
	char line[CTL_MAX_LINE + 1];
	assert_int_equal(ctl_request_format(line, sizeof(line), "ping", NULL), 11);
	assert_string_equal(line, "sup/1 ping\n");
	assert_int_equal(ctl_request_format(line, sizeof(line), "kill", "web 9"), 17);
	assert_string_equal(line, "sup/1 kill web 9\n");
	struct sup_err err;
	assert_int_equal(parse(line, 16, &err), 0);
	assert_string_equal(req.verb, "kill");
	assert_string_equal(req.arg, "web 9");

	static char arg[CTL_MAX_LINE];
	memset(arg, 'x', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = 0;
	assert_int_equal(ctl_request_format(line, sizeof(line), "start", arg), -EMSGSIZE);
	arg[CTL_MAX_LINE - 1 - 12] = 0; /* "sup/1 start " + arg + "\n" = 4096 */
	assert_int_equal(ctl_request_format(line, sizeof(line), "start", arg), CTL_MAX_LINE);
	assert_int_equal(ctl_request_format(line, 8, "ping", NULL), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
