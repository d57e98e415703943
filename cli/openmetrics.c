/* The OpenMetrics text writer (include/l3nft/cli/openmetrics.h). */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include "l3nft/cli/openmetrics.h"

void l3_om_escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

void l3_om_family(struct l3_om *om, const char *name, enum l3_om_type type, const char *help)
{
	om->family = name;
	om->type = type;
	fprintf(om->out, "# TYPE %s %s\n# HELP %s ", name,
		type == L3_OM_COUNTER ? "counter" : "gauge", name);
	l3_om_escape(om->out, help);
	fputc('\n', om->out);
}

void l3_om_sample(struct l3_om *om, uint64_t value, ...)
{
	const char *k, *sep = "{";
	va_list ap;

	fprintf(om->out, "%s%s", om->family, om->type == L3_OM_COUNTER ? "_total" : "");
	va_start(ap, value);
	while ((k = va_arg(ap, const char *))) {
		fprintf(om->out, "%s%s=\"", sep, k);
		l3_om_escape(om->out, va_arg(ap, const char *));
		fputc('"', om->out);
		sep = ",";
	}
	va_end(ap);
	fprintf(om->out, "%s %" PRIu64 "\n", *sep == ',' ? "}" : "", value);
}

int l3_om_end(struct l3_om *om)
{
	fputs("# EOF\n", om->out);
	return ferror(om->out) || fflush(om->out) ? -1 : 0;
}
