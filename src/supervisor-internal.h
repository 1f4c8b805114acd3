/* supervisor-internal.h - what supervisor.c shares with the files split
 * off it (sv_waiters.c, sv_container.c); nothing else includes it. */
#pragma once

#include "supervisor.h"

/* Answer every control client whose wait c's state now ends; a restart's
 * stop half done starts its start half. */
void sv_notify_waiters(struct container *c);

/* End and forget c's parked spare child, if any. */
void sv_discard_spare(struct container *c);
