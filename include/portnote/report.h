/* report.h — the HTML report of `portnote report`.
 *
 * One self-contained page: inline CSS and inline SVG, no script, nothing
 * loaded from elsewhere, so it opens offline and can be mailed. It covers
 * what `portnote stats` computes (the same pn_stats_view) and the decode
 * counters of the run. Every chart carries its numbers as text twice: an
 * SVG <title> on each bar or time bin, and an HTML table under it, so the
 * page reads without images and with a screen reader. Every string from
 * outside (file names, registry names, declaration paths, filters) is
 * escaped as text output escapes it (control characters, invalid UTF-8),
 * then for HTML. The page holds no time of "now": the same input gives
 * the same bytes. */
#ifndef PORTNOTE_REPORT_H
#define PORTNOTE_REPORT_H

#include "portnote/capture.h"
#include "portnote/declare.h"
#include "portnote/flow.h"
#include "portnote/stats.h"

#include <stdio.h>

/* Services drawn one by one in the timeline; the rest are stacked as one
 * band of "other services". */
#define PN_REPORT_TIMELINE_SERIES 8

struct pn_html_report {
	const char *const *inputs; /* -r, as given */
	int n_inputs;
	const char *filter; /* -f, or NULL */
	uint64_t count;	    /* -c, or 0 */
	const struct pn_registry *reg;
	const struct pn_declarations *decl; /* --declare, or NULL */
	unsigned top;			    /* --top (0: all) */
	uint32_t max_flows;
	const struct pn_stats_view *view;
	const struct pn_capture_stats *capture;
	const struct pn_flow_counters *flows;
};

/* Writes the page to out; the caller checks the stream for errors. */
void pn_report_html(FILE *out, const struct pn_html_report *r);

#endif
