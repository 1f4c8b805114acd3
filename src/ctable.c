/* ctable.c - see ctable.h. Chained hashing, FNV-1a for names; the bucket
 * array doubles when the load passes one entry per bucket. */
#include <assert.h>
#include <string.h>

#include "ctable.h"
#include "macro.h"

static size_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static size_t hash_pid(pid_t pid)
{
	return (size_t)((uint64_t)pid * 11400714819323198485ULL >> 16);
}

void ctable_init(struct ctable *t)
{
	memset(t, 0, sizeof(*t));
	t->n_buckets = 64;
	t->by_name = xcalloc(t->n_buckets, sizeof(*t->by_name));
	t->by_pid = xcalloc(t->n_buckets, sizeof(*t->by_pid));
}

void ctable_done(struct ctable *t)
{
	free(t->by_name);
	free(t->by_pid);
	memset(t, 0, sizeof(*t));
}

static void grow(struct ctable *t)
{
	size_t n = t->n_buckets * 2;
	struct ctable_link **names = xcalloc(n, sizeof(*names)), **pids = xcalloc(n, sizeof(*pids));
	for (size_t i = 0; i < t->n_buckets; i++) {
		for (struct ctable_link *l = t->by_name[i], *next; l; l = next) {
			next = l->name_next;
			size_t b = hash_name(l->name) & (n - 1);
			l->name_next = names[b];
			names[b] = l;
		}
		for (struct ctable_link *l = t->by_pid[i], *next; l; l = next) {
			next = l->pid_next;
			size_t b = hash_pid(l->pid) & (n - 1);
			l->pid_next = pids[b];
			pids[b] = l;
		}
	}
	free(t->by_name);
	free(t->by_pid);
	t->by_name = names;
	t->by_pid = pids;
	t->n_buckets = n;
}

void ctable_add(struct ctable *t, struct ctable_link *l)
{
	assert(!ctable_find_name(t, l->name));
	if (t->n_names + 1 > t->n_buckets)
		grow(t);
	size_t b = hash_name(l->name) & (t->n_buckets - 1);
	l->name_next = t->by_name[b];
	t->by_name[b] = l;
	l->pid = 0;
	l->pid_next = NULL;
	t->n_names++;
}

struct ctable_link *ctable_find_name(const struct ctable *t, const char *name)
{
	for (struct ctable_link *l = t->by_name[hash_name(name) & (t->n_buckets - 1)]; l; l = l->name_next)
		if (!strcmp(l->name, name))
			return l;
	return NULL;
}

struct ctable_link *ctable_find_pid(const struct ctable *t, pid_t pid)
{
	if (pid <= 0)
		return NULL;
	for (struct ctable_link *l = t->by_pid[hash_pid(pid) & (t->n_buckets - 1)]; l; l = l->pid_next)
		if (l->pid == pid)
			return l;
	return NULL;
}

static void unlink_pid(struct ctable *t, struct ctable_link *l)
{
	if (l->pid == 0)
		return;
	struct ctable_link **pp = &t->by_pid[hash_pid(l->pid) & (t->n_buckets - 1)];
	for (; *pp; pp = &(*pp)->pid_next)
		if (*pp == l) {
			*pp = l->pid_next;
			t->n_pids--;
			break;
		}
	l->pid = 0;
	l->pid_next = NULL;
}

void ctable_set_pid(struct ctable *t, struct ctable_link *l, pid_t pid)
{
	unlink_pid(t, l);
	if (pid <= 0)
		return;
	l->pid = pid;
	size_t b = hash_pid(pid) & (t->n_buckets - 1);
	l->pid_next = t->by_pid[b];
	t->by_pid[b] = l;
	t->n_pids++;
}

void ctable_remove(struct ctable *t, struct ctable_link *l)
{
	unlink_pid(t, l);
	struct ctable_link **pp = &t->by_name[hash_name(l->name) & (t->n_buckets - 1)];
	for (; *pp; pp = &(*pp)->name_next)
		if (*pp == l) {
			*pp = l->name_next;
			t->n_names--;
			break;
		}
}
