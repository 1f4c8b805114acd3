/* ctable.h - containers hashed by name and by the pid of their current run,
 * so that no event costs O(number of containers). Intrusive: the entries
 * carry their own chain links (struct ctable_link), the table owns only its
 * bucket arrays. Pure: no I/O. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ctable_link {
	struct ctable_link *name_next, *pid_next;
	const char *name; /* key, owned by the entry */
	pid_t pid;        /* key, 0 when not in the pid index */
};

struct ctable {
	struct ctable_link **by_name, **by_pid;
	size_t n_buckets; /* power of two */
	size_t n_names, n_pids;
};

void ctable_init(struct ctable *t);
void ctable_done(struct ctable *t);

/* Add to the name index; name must be unique (asserted). */
void ctable_add(struct ctable *t, struct ctable_link *l);
void ctable_remove(struct ctable *t, struct ctable_link *l); /* from both indexes */
struct ctable_link *ctable_find_name(const struct ctable *t, const char *name);

/* Index l under pid (0 removes it from the pid index). */
void ctable_set_pid(struct ctable *t, struct ctable_link *l, pid_t pid);
struct ctable_link *ctable_find_pid(const struct ctable *t, pid_t pid);
