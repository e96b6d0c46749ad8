/* output.c — JSON through jansson, CSV through libcsv's writer. */
#include "portnote/output.h"

#include <csv.h>
#include <string.h>

int pn_format_parse(const char *s)
{
	if (strcmp(s, "text") == 0)
		return PN_FORMAT_TEXT;
	if (strcmp(s, "json") == 0)
		return PN_FORMAT_JSON;
	if (strcmp(s, "csv") == 0)
		return PN_FORMAT_CSV;
	return -1;
}

void pn_out_json_line(FILE *out, json_t *obj)
{
	/* JSON_ENSURE_ASCII is off: registry text is validated UTF-8. */
	json_dumpf(obj, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(obj);
}

void pn_out_csv_row(FILE *out, const char *const *fields, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		const char *f = fields[i] ? fields[i] : "";
		/* Quote only when RFC 4180 needs it, so plain values stay
		 * easy to read and to cut. */
		if (strpbrk(f, ",\"\r\n"))
			csv_fwrite(out, f, strlen(f));
		else
			fputs(f, out);
	}
	fputc('\n', out);
}

json_t *pn_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}
