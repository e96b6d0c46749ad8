/* output.h — the three output formats every command offers. Text is for
 * people; JSON (one object per line where the output is a stream) and CSV
 * (RFC 4180 quoting, LF line ends, one header row) are for programs. */
#ifndef PORTNOTE_OUTPUT_H
#define PORTNOTE_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

enum pn_format { PN_FORMAT_TEXT, PN_FORMAT_JSON, PN_FORMAT_CSV };

/* "text", "json", "csv" -> format; -1 otherwise. */
int pn_format_parse(const char *s);

/* Writes `obj` as one compact JSON line and releases it. */
void pn_out_json_line(FILE *out, json_t *obj);

/* Writes one CSV record of `n` fields (NULL fields are empty). */
void pn_out_csv_row(FILE *out, const char *const *fields, int n);

/* A JSON string, or null for NULL. */
json_t *pn_json_str(const char *s);

#endif
