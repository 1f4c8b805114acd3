/* ctl_request.h - the control protocol's request line, version sup/1.
 *
 * A client sends one line: "sup/1 VERB [ARG...]\n", at most CTL_MAX_LINE
 * bytes with the newline, UTF-8, no NUL or other control characters (a tab
 * counts as a space; a "\r" before the newline is dropped). supd answers with
 * zero or more lines and a final "ok [MESSAGE]" or "error MESSAGE", then
 * closes. The version token comes first so that a later protocol can change
 * everything after it and an old peer still gets a readable error.
 *
 * Pure: no I/O, no allocation, so the fuzzer drives it directly. */
#pragma once

#include <stddef.h>

#include "err.h"

#define CTL_PROTO_VERSION "sup/1"
#define CTL_MAX_LINE 4096 /* bytes of one request line, newline included */
#define CTL_MAX_VERB 15   /* bytes of a verb: [a-z][a-z-]{0,14} */

struct ctl_request {
	char verb[CTL_MAX_VERB + 1]; /* e.g. "start" */
	char arg[CTL_MAX_LINE];      /* the rest, spaces around it trimmed; may be "" */
};

/* Decode the request line buf[0..len) (the newline already cut off; buf need
 * not be NUL-terminated). Returns 0 and fills *out, or -EMSGSIZE (too long),
 * -EILSEQ (not UTF-8), -EINVAL (NUL, control character, no verb, bad verb) or
 * -EPROTONOSUPPORT (another version; the message names the supported one),
 * with err holding a one-line message fit to send back. */
int ctl_request_parse(const char *buf, size_t len, struct ctl_request *out, struct sup_err *err);

/* Write the request line for verb and arg (NULL or "" for none) into buf,
 * newline included. Returns its length, or -EMSGSIZE when it would exceed
 * CTL_MAX_LINE or size. */
int ctl_request_format(char *buf, size_t size, const char *verb, const char *arg);
