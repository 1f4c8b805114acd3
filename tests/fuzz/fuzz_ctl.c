/* fuzz_ctl.c - libFuzzer harness for the control protocol decoder: each
 * input is one request line as read from the socket (newline cut off).
 * A decode must either give a well-formed request that formats back to an
 * equal one, or an error message fit to send to the client: one line of
 * UTF-8 text. Never a crash, a read past len, or a leak. */
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_request.h"


/* The message goes back on the socket: no newline, no NUL inside. Its
 * UTF-8 validity is checked by decoding it as a request argument. */
static void check_error_message(const struct sup_err *err)
{
	size_t n = strlen(err->msg);
	CHECK(n > 0);
	CHECK(!memchr(err->msg, '\n', n));
	char line[sizeof(err->msg) + 16];
	int k = ctl_request_format(line, sizeof(line), "error", err->msg);
	CHECK(k > 0);
	struct ctl_request *echo = malloc(sizeof(*echo));
	struct sup_err e2 = { 0 };
	int r = ctl_request_parse(line, (size_t)k - 1, echo, &e2);
	CHECK(r == 0);
	free(echo);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so ASan sees any read past len. */
	char *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	struct ctl_request *req = malloc(sizeof(*req));
	struct ctl_request *again = malloc(sizeof(*again));
	struct sup_err err = { 0 };

	int r = ctl_request_parse(buf, size, req, &err);
	if (r < 0) {
		check_error_message(&err);
	} else {
		CHECK(r == 0);
		size_t vn = strlen(req->verb);
		CHECK(vn > 0 && vn <= CTL_MAX_VERB);
		size_t an = strlen(req->arg);
		CHECK(an < size);
		if (an > 0)
			CHECK(!strchr(" \t", req->arg[0]) && !strchr(" \t", req->arg[an - 1]));
		char line[CTL_MAX_LINE + 1];
		int k = ctl_request_format(line, sizeof(line), req->verb, req->arg);
		CHECK(k > 0 && line[k - 1] == '\n');
		struct sup_err e2 = { 0 };
		CHECK(ctl_request_parse(line, (size_t)k - 1, again, &e2) == 0);
		CHECK(!strcmp(req->verb, again->verb) && !strcmp(req->arg, again->arg));
	}
	free(again);
	free(req);
	free(buf);
	return 0;
}
