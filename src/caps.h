/* caps.h - capability names and the `capabilities =` value syntax. Pure: no
 * I/O. A set is a uint64_t bit mask, bit N = capability N (CAP_CHOWN = 0). */
#pragma once

#include <stdint.h>

typedef uint64_t cap_mask_t;

#define CAP_MASK(cap) ((cap_mask_t)1 << (cap))
/* Every capability, also ones newer than our headers: the kernel ignores
 * bits past its last capability. */
#define CAP_MASK_ALL (~(cap_mask_t)0)

/* The default set of a container: Docker's default list without MKNOD (see
 * caps.c for why). */
cap_mask_t caps_default(void);

/* "CAP_NET_ADMIN", "NET_ADMIN", "net_admin" -> 12. -EINVAL if unknown. */
int caps_from_name(const char *name);
/* "NET_ADMIN" for 12; NULL for a number we have no name for. */
const char *caps_to_name(int cap);

/* Apply a `capabilities =` value. Words are separated by blanks or commas;
 * each is a capability name or ALL, optionally prefixed with + (add) or -
 * (remove), applied left to right. If the first word has no sign the set
 * starts empty (an explicit list), otherwise from caps_default().
 *   "-ALL +NET_BIND_SERVICE"  only NET_BIND_SERVICE
 *   "+SYS_ADMIN -NET_RAW"     the default, plus SYS_ADMIN, minus NET_RAW
 *   "CHOWN KILL"              exactly CHOWN and KILL
 * 0 or -EINVAL with *why set (a per-thread buffer naming the bad word). */
int caps_parse(const char *s, cap_mask_t *ret, const char **why);

