/* metrics.h - supd's Prometheus text file for node_exporter's textfile
 * collector. Rewritten atomically (temp file + rename) a moment after
 * something changed; never on a timer while nothing changes. Top layer:
 * reads the daemon's containers, their cgroups and the store. */
#pragma once

struct supd;

/* Something a metric shows changed (a state, a restart, an OOM kill):
 * schedule a rewrite, coalescing bursts. No-op without metrics_file. */
void metrics_changed(struct supd *d);

/* Write the file now. 0 or -errno. */
int metrics_write(struct supd *d);
