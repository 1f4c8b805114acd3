/* parse.h - parsers for the value syntaxes of the config (sizes, durations,
 * signals, booleans, shell-like command lines). Pure: no I/O, no logging.
 * Each returns 0 or -EINVAL/-ERANGE and, on failure, fills *why with a short
 * static reason ("unknown unit 'X'") for the config error message. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* "64M", "512K", "1G", "4096" (bytes); K/M/G/T are powers of 1024,
 * optional trailing "B" or "iB" accepted. */
int parse_size(const char *s, uint64_t *ret_bytes, const char **why);

/* "100ms", "10s", "5m", "1h", "1h30m", bare number = seconds. */
int parse_duration_ms(const char *s, uint64_t *ret_ms, const char **why);

/* "TERM", "SIGTERM", "15" -> 15. */
int parse_signal(const char *s, int *ret_sig, const char **why);
const char *signal_to_name(int sig); /* "TERM"; NULL if unknown */

/* yes/no/true/false/on/off/1/0 */
int parse_bool(const char *s, bool *ret, const char **why);

/* "0.5" CPUs -> millicpus (500). Must be > 0. */
int parse_cpu(const char *s, uint32_t *ret_millicpus, const char **why);

/* "10/60s" -> burst 10 within window 60000 ms. */
int parse_start_limit(const char *s, uint32_t *ret_burst, uint64_t *ret_window_ms, const char **why);

/* "uid" or "uid:gid" (numeric). gid defaults to uid. */
int parse_user(const char *s, uint32_t *ret_uid, uint32_t *ret_gid, const char **why);

/* One range of a user namespace's uid or gid map: count ids from inside
 * (in the container) are outside, outside+1, ... on the host. */
struct id_map {
	uint32_t inside;
	uint32_t outside;
	uint32_t count;
};

/* "INSIDE OUTSIDE COUNT", as a line of /proc/PID/uid_map: three numbers
 * separated by blanks, COUNT at least 1, neither range reaching 4294967295
 * (which is (uid_t)-1, no id). */
int parse_id_map(const char *s, struct id_map *ret, const char **why);

/* true when id lies in the inside range of m. */
bool id_map_has_inside(const struct id_map *m, uint32_t id);

/* Split a command line with POSIX-shell-like quoting (single quotes,
 * double quotes with \" \\ \$ \` escapes, backslash outside quotes); no
 * expansion, no shell run. Returns a NULL-terminated argv allocated as one
 * block (free(argv) frees everything) in *ret_argv. Empty command -> -EINVAL. */
int parse_command(const char *s, char ***ret_argv, const char **why);

/* rlimit_* values: "N" (soft = hard), "SOFT:HARD", each side a number or
 * "unlimited" (RLIMIT_VALUE_UNLIMITED); with is_size a side takes a size
 * ("64M") as parse_size(). A soft limit above the hard one is -EINVAL. */
#define RLIMIT_VALUE_UNLIMITED UINT64_MAX
int parse_rlimit(const char *s, bool is_size, uint64_t *ret_soft, uint64_t *ret_hard, const char **why);

/* Container names: [A-Za-z0-9][A-Za-z0-9_.-]{0,62} */
bool container_name_is_valid(const char *name);
