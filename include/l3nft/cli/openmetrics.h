/*
 * A writer of the OpenMetrics text format (what Prometheus scrapes and
 * node_exporter's textfile collector reads): families announced once
 * with # TYPE and # HELP, their samples right after, counters' samples
 * named FAMILY_total, label values escaped, "# EOF" at the end.
 */
#ifndef L3NFT_CLI_OPENMETRICS_H
#define L3NFT_CLI_OPENMETRICS_H

#include <stdint.h>
#include <stdio.h>

enum l3_om_type {
	L3_OM_COUNTER,
	L3_OM_GAUGE,
};

struct l3_om {
	FILE *out;
	const char *family;	/* the one samples go to */
	enum l3_om_type type;
};

/* Writes @s as a label value or HELP text: \ " and newline escaped. */
void l3_om_escape(FILE *out, const char *s);
/* Starts family @name (a counter's without _total); its samples follow. */
void l3_om_family(struct l3_om *om, const char *name, enum l3_om_type type,
		  const char *help);
/* One sample of the current family; the labels are NAME, VALUE pairs
 * ended by NULL. */
void l3_om_sample(struct l3_om *om, uint64_t value, ...) __attribute__((sentinel));
/* "# EOF"; 0, or -1 when writing failed. */
int l3_om_end(struct l3_om *om);

#endif
