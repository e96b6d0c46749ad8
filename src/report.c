/* report.c — the HTML report: one page of inline CSS and SVG, every
 * chart with its numbers as text (see report.h). */
#include "portnote/report.h"

#include "portnote/summary.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every chart is drawn on a 1000-unit-wide view box, scaled to the page. */
#define CHART_W 1000
/* Horizontal bars: labels end at LABEL_X, bars run from BAR_X0 to BAR_X1,
 * their values are written after them. */
#define LABEL_X 284
#define BAR_X0 292
#define BAR_X1 880
#define AXIS_H 24 /* room above the bars for the scale */
#define LABEL_CHARS 40

static const char warning_text[] =
    "A registered port does not prove what traffic is, nor that it is "
    "good.";

/* Colours: Paul Tol's colour-blind-safe schemes (vibrant, muted). */
static const char *const dir_colors[2] = {"#0077bb", "#ee7733"};
static const char *const series_colors[PN_REPORT_TIMELINE_SERIES + 1] = {
    "#332288", "#88ccee", "#44aa99", "#117733", "#999933",
    "#ddcc77", "#cc6677", "#882255", "#bbbbbb"};
/* In the order of the tables: agrees, differs, unverified, no payload. */
static const enum pn_payload_verdict verdict_order[PN_V_COUNT] = {
    PN_V_AGREES, PN_V_DIFFERS, PN_V_UNVERIFIED, PN_V_NO_PAYLOAD};
static const char *const verdict_colors[PN_V_COUNT] = {"#228833", "#cc3311",
						       "#ccbb44", "#bbbbbb"};
static const char *const verdict_words[PN_V_COUNT] = {
    "agrees", "differs", "unverified", "no payload"};
static const char *const basis_words[PN_BASIS_COUNT] = {
    "the handshake (SYN, SYN+ACK, SCTP INIT, DCCP-Request)",
    "the registry (exactly one port registered on the transport)",
    "the first packet (equal ports: the first sender is the client)",
    /* In parentheses: one element, not a comma clang would miss. */
    ("the port class (both or neither registered: the lower class, then "
     "the lower number)"),
    "nothing (both ports dynamic and unregistered: unknown)"};
static const char *const flag_words[PN_FF_COUNT] = {
    "to ports the registry marks Reserved",
    "to ports the registry marks Unassigned (or registers nothing for)",
    "to ports in the Dynamic range (49152-65535), never assigned",
    "to ports where the registry reports unauthorized use",
    ("with both ports registered, to different services, and no "
     "handshake to tell the sides apart")};

/* Text from outside, for HTML: escaped as every output escapes it
 * (control characters, invalid UTF-8; pn_safe), then the characters HTML
 * gives meaning to. With max > 0, at most max characters, the last one
 * "…" when the text was longer. */
static void html_cut(FILE *out, const char *s, unsigned max)
{
	const unsigned char *t = (const unsigned char *)pn_safe(s ? s : "");
	size_t chars = 0;
	for (const unsigned char *p = t; *p; p++)
		chars += (*p & 0xc0) != 0x80;
	bool cut = max && chars > max;
	unsigned n = 0;
	for (const unsigned char *p = t; *p; p++) {
		if ((*p & 0xc0) != 0x80 && cut && ++n == max) {
			fputs("\xe2\x80\xa6", out);
			break;
		}
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*p, out);
		}
	}
}

static void html(FILE *out, const char *s)
{
	html_cut(out, s, 0);
}

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

/* 1234567 as "1.23 M" with the unit after: for chart labels only (the
 * tables give every number whole). */
static const char *si(double v, const char *unit, char buf[40])
{
	static const char *const prefix[] = {"", "k", "M", "G", "T", "P", "E"};
	unsigned i = 0;
	while (v >= 999.5 && i + 1 < sizeof prefix / sizeof prefix[0]) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, 40, "%.0f %s", v, unit);
	else if (v < 9.995)
		snprintf(buf, 40, "%.2f %s%s", v, prefix[i], unit);
	else if (v < 99.95)
		snprintf(buf, 40, "%.1f %s%s", v, prefix[i], unit);
	else
		snprintf(buf, 40, "%.0f %s%s", v, prefix[i], unit);
	return buf;
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* The smallest step of 1, 2 or 5 times a power of ten with which at most
 * `ticks` steps reach max (at least 1). */
static uint64_t nice_step(uint64_t max, unsigned ticks)
{
	static const uint64_t m[] = {1, 2, 5};
	for (uint64_t p = 1;; p *= 10) {
		for (int i = 0; i < 3; i++) {
			uint64_t step = m[i] * p;
			if (max / step + (max % step != 0) <= ticks)
				return step;
		}
		if (p > UINT64_MAX / 100)
			return UINT64_MAX / ticks + 1;
	}
}

/* "https (tcp 443)", "(21 more services)", "(all flows)". */
static const char *row_label(const struct pn_stats_view *v,
			     const struct pn_service_row *r, char *buf,
			     size_t size)
{
	if (r == &v->all) {
		snprintf(buf, size, "(all flows)");
	} else if (!r->name) {
		unsigned long long more =
		    v->services - v->shown + (unsigned long long)v->past_keys;
		snprintf(buf, size, "(%llu more service%s)", more,
			 more == 1 ? "" : "s");
	} else if (strncmp(r->name, "unregistered ", 13) == 0 ||
		   strncmp(r->name, "unnamed ", 8) == 0) {
		/* "unregistered tcp/4489" names its port already. */
		snprintf(buf, size, "%s", r->name);
	} else if (r->port_min == r->port_max) {
		snprintf(buf, size, "%s (%s %u)", r->name,
			 pn_transport_name((enum pn_transport)r->transport),
			 r->port_min);
	} else {
		snprintf(buf, size, "%s (%s %u-%u)", r->name,
			 pn_transport_name((enum pn_transport)r->transport),
			 r->port_min, r->port_max);
	}
	return buf;
}

static const char *ports_text(const struct pn_service_row *r, char buf[16])
{
	if (!r->flows)
		snprintf(buf, 16, "-");
	else if (r->port_min == r->port_max)
		snprintf(buf, 16, "%u", r->port_min);
	else
		snprintf(buf, 16, "%u-%u", r->port_min, r->port_max);
	return buf;
}

static const char *transport_text(const struct pn_service_row *r)
{
	return r->transport < PN_TRANSPORT_COUNT
		   ? pn_transport_name((enum pn_transport)r->transport)
		   : "-";
}

/* The services the charts list: the top ones, then the rest summed. */
static unsigned chart_rows(const struct pn_stats_view *v,
			   const struct pn_service_row **rows)
{
	unsigned n = 0;
	for (unsigned i = 0; i < v->shown; i++)
		rows[n++] = &v->rows[i];
	if (v->rest.flows)
		rows[n++] = &v->rest;
	return n;
}

/* One horizontal bar chart: a row per item, one bar per series (grouped)
 * or one bar of stacked segments. */
struct hbar_row {
	const char *label; /* raw: escaped here */
	uint64_t v[PN_V_COUNT];
	const char *note; /* our own words after the value, or NULL */
	bool muted;	  /* a sum of several items: drawn lighter */
};

struct hbar {
	const char *id;
	const char *aria; /* our own words */
	const char *unit; /* "bytes", "flows" */
	bool human;	  /* value labels as 46.4 kB */
	bool stacked;
	unsigned n_series;
	const char *const *series; /* names; NULL for one unnamed series */
	const char *const *colors;
	unsigned n_rows;
	const struct hbar_row *rows;
};

static const char *value_text(const struct hbar *c, uint64_t v, char buf[40])
{
	if (c->human)
		return si((double)v, "B", buf);
	snprintf(buf, 40, "%llu", ull(v));
	return buf;
}

static void hbar_svg(FILE *out, const struct hbar *c)
{
	unsigned bar_h = c->stacked ? 16 : 12, gap = 2;
	unsigned row_h =
	    c->stacked ? bar_h + 8
		       : c->n_series * bar_h + (c->n_series - 1) * gap + 10;
	unsigned height = AXIS_H + c->n_rows * row_h + 6;
	uint64_t max = 0;
	for (unsigned i = 0; i < c->n_rows; i++) {
		uint64_t sum = 0;
		for (unsigned s = 0; s < c->n_series; s++) {
			sum += c->rows[i].v[s];
			if (!c->stacked && c->rows[i].v[s] > max)
				max = c->rows[i].v[s];
		}
		if (c->stacked && sum > max)
			max = sum;
	}
	uint64_t step = nice_step(max ? max : 1, 5);
	uint64_t top = (max / step + (max % step != 0)) * step;
	if (!top)
		top = step;
	double scale = (double)(BAR_X1 - BAR_X0) / (double)top;
	char a[40];

	fprintf(out,
		"<svg id=\"%s\" class=\"chart\" viewBox=\"0 0 %d %u\" "
		"width=\"%d\" height=\"%u\" role=\"img\" aria-label=\"%s\">\n",
		c->id, CHART_W, height, CHART_W, height, c->aria);
	/* The scale: gridlines at each step, labelled above. */
	fputs("<g class=\"axis\">", out);
	for (uint64_t t = 0; t <= top; t += step) {
		double x = BAR_X0 + (double)t * scale;
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%u\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s"
			"</text>",
			x, AXIS_H - 6, x, height - 4, x, AXIS_H - 10,
			value_text(c, t, a));
		if (top - t < step)
			break;
	}
	fputs("</g>\n", out);
	for (unsigned i = 0; i < c->n_rows; i++) {
		const struct hbar_row *r = &c->rows[i];
		unsigned y = AXIS_H + i * row_h + 4;
		fprintf(out, "<g%s><text class=\"label\" x=\"%d\" y=\"%u\">",
			r->muted ? " class=\"muted\"" : "", LABEL_X,
			y + (row_h - 10) / 2 + 4);
		html_cut(out, r->label, LABEL_CHARS);
		fputs("<title>", out);
		html(out, r->label);
		fputs("</title></text>\n", out);
		double x = BAR_X0;
		uint64_t sum = 0;
		for (unsigned s = 0; s < c->n_series; s++) {
			uint64_t v = r->v[s];
			double w = (double)v * scale;
			unsigned by = c->stacked ? y : y + s * (bar_h + gap);
			fprintf(out,
				"<rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" "
				"height=\"%u\" fill=\"%s\"><title>",
				c->stacked ? x : (double)BAR_X0, by, w, bar_h,
				c->colors[s]);
			html(out, r->label);
			fprintf(out, ": %s%s%llu %s</title></rect>",
				c->series ? c->series[s] : "",
				c->series ? " " : "", ull(v), c->unit);
			if (!c->stacked)
				fprintf(out,
					"<text class=\"value\" x=\"%.1f\" "
					"y=\"%u\">%s%s%s</text>",
					BAR_X0 + w + 4, by + bar_h - 2,
					value_text(c, v, a),
					r->note && !s ? " " : "",
					r->note && !s ? r->note : "");
			x += w;
			sum += v;
		}
		if (c->stacked)
			fprintf(out,
				"<text class=\"value\" x=\"%.1f\" y=\"%u\">%s "
				"%s%s%s</text>",
				x + 4, y + bar_h - 3, value_text(c, sum, a),
				c->unit, r->note ? " " : "",
				r->note ? r->note : "");
		fputs("</g>\n", out);
	}
	fputs("</svg>\n", out);
}

/* A colour key for a chart, as text: the swatches are decoration. */
static void legend(FILE *out, unsigned n, const char *const *names,
		   const char *const *colors)
{
	fputs("<ul class=\"legend\">", out);
	for (unsigned i = 0; i < n; i++) {
		fprintf(out,
			"<li><span class=\"sw\" style=\"color:%s\" "
			"aria-hidden=\"true\">\xe2\x96\xa0</span> ",
			colors[i]);
		html(out, names[i]);
		fputs("</li>", out);
	}
	fputs("</ul>\n", out);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p) {
		fprintf(stderr, "portnote: out of memory\n");
		exit(70);
	}
	return p;
}

/* A label per chart row. */
typedef char label_buf[600];

static void td(FILE *out, uint64_t v)
{
	fprintf(out, "<td class=\"n\">%llu</td>", ull(v));
}

/* A distinct count: "~98304" when it is an estimate (stats.h). */
static void td_count(FILE *out, uint64_t v, bool approximate)
{
	fprintf(out, "<td class=\"n\">%s%llu</td>", approximate ? "~" : "",
		ull(v));
}

static void td_text(FILE *out, const char *s)
{
	fputs("<td>", out);
	html(out, s);
	fputs("</td>", out);
}

static void th_row(FILE *out, const char *s)
{
	fputs("<th scope=\"row\">", out);
	html(out, s);
	fputs("</th>", out);
}

/* Column headings; a leading '#' marks a numeric column. */
static void thead(FILE *out, const char *const *cols, unsigned n)
{
	fputs("<thead><tr>", out);
	for (unsigned i = 0; i < n; i++)
		fprintf(out, "<th scope=\"col\"%s>%s</th>",
			cols[i][0] == '#' ? " class=\"n\"" : "",
			cols[i] + (cols[i][0] == '#'));
	fputs("</tr></thead>\n", out);
}

static const char *time_text(pn_time_us us, char buf[PN_TIME_TEXT_SIZE])
{
	return pn_time_text(us, buf);
}

static const char *const css =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'DejaVu Sans',sans-serif;color:#1b1f24;background:#fff;"
    "max-width:1120px;margin:0 auto;padding:0 18px 40px}\n"
    "h1{font-size:1.6em;margin:.7em 0 .3em}\n"
    "h2{font-size:1.25em;margin:1.8em 0 .5em;padding-bottom:.2em;"
    "border-bottom:1px solid #d0d7de}\n"
    "h3{font-size:1.05em;margin:1.2em 0 .3em}\n"
    ".warning{border:2px solid #b35900;background:#fff4e5;"
    "padding:.6em .9em;border-radius:4px}\n"
    ".notice{border-left:4px solid #cc3311;padding:.2em .7em;"
    "background:#fdf0ed}\n"
    "nav ul{list-style:none;padding:0;margin:.4em 0;display:flex;"
    "flex-wrap:wrap;gap:.3em 1.2em}\n"
    "a{color:#0b5cad}\n"
    "table{border-collapse:collapse;margin:.4em 0 1.2em;"
    "font-variant-numeric:tabular-nums}\n"
    "th,td{border:1px solid #d0d7de;padding:2px 8px;text-align:left;"
    "vertical-align:top}\n"
    "thead th{background:#f3f5f7}\n"
    "th.n,td.n{text-align:right}\n"
    "tr.sum th,tr.sum td{background:#f7f7f9}\n"
    "caption{text-align:left;font-weight:600;padding:.2em 0;"
    "white-space:nowrap}\n"
    "td.t{white-space:nowrap}\n"
    "dl{display:grid;grid-template-columns:max-content auto;"
    "gap:.2em 1em}\n"
    "dt{font-weight:600}dd{margin:0}\n"
    "figure{margin:.6em 0}\n"
    "figcaption{color:#57606a;font-size:.92em;margin-top:.2em}\n"
    ".wide{overflow-x:auto}\n"
    "svg.chart{display:block;max-width:100%;height:auto}\n"
    "svg text{font:12px system-ui,'DejaVu Sans',sans-serif;fill:#1b1f24}\n"
    "svg .label{text-anchor:end}\n"
    "svg .axis line{stroke:#d8dde3;stroke-width:1}\n"
    "svg .axis text{fill:#57606a;font-size:11px}\n"
    "svg .muted rect{opacity:.55}\n"
    "svg .hit{fill:#000;fill-opacity:0}\n"
    "svg .hit:hover{fill-opacity:.08}\n"
    "ul.legend{list-style:none;padding:0;margin:.3em 0;display:flex;"
    "flex-wrap:wrap;gap:.2em 1.2em;font-size:.92em}\n"
    ".sw{font-size:1.2em}\n"
    "code{font-size:.95em}\n"
    "footer{margin-top:2.5em;color:#57606a;font-size:.9em}\n";

static void head(FILE *out, const struct pn_html_report *r)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\">\n",
	      out);
	fprintf(out, "<meta name=\"generator\" content=\"portnote %s\">\n",
		PORTNOTE_VERSION);
	fputs("<title>portnote report: ", out);
	for (int i = 0; i < r->n_inputs; i++) {
		fputs(i ? ", " : "", out);
		html(out, r->inputs[i]);
	}
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
}

static void header(FILE *out)
{
	fprintf(out,
		"<header>\n<h1>portnote report</h1>\n"
		"<p class=\"warning\" id=\"warning\"><strong>%s</strong> "
		"The IANA registry records what a port is registered for, "
		"not what a flow on it carries: this page says "
		"&ldquo;443/tcp registered for https&rdquo;, never &ldquo;this "
		"is https&rdquo;. Each service below is what the server port "
		"of its flows is registered for. The payload verdicts say what "
		"the first payload bytes looked like, judged without looking "
		"at the port; they are not proof either.</p>\n",
		warning_text);
	fputs("<nav aria-label=\"sections\"><ul>"
	      "<li><a href=\"#overview\">Inputs and totals</a></li>"
	      "<li><a href=\"#services\">Services</a></li>"
	      "<li><a href=\"#timeline\">Timeline</a></li>"
	      "<li><a href=\"#basis\">Server side</a></li>"
	      "<li><a href=\"#flags\">Registry flags</a></li>"
	      "<li><a href=\"#verdicts\">Payload verdicts</a></li>"
	      "<li><a href=\"#anomalies\">Decode anomalies</a></li>"
	      "</ul></nav>\n</header>\n<main>\n",
	      out);
}

/* What could make the figures incomplete, said before them. */
static void notices(FILE *out, const struct pn_html_report *r)
{
	const struct pn_capture_stats *c = r->capture;
	int total = c->sources_ok + c->sources_failed;
	int unread = total - c->sources_read;
	int damaged = c->sources_failed - unread;
	if (unread > 0)
		fprintf(out,
			"<p class=\"notice\">%d of %d inputs could not be "
			"read (their errors were printed when portnote ran): "
			"the figures cover the other %d.</p>\n",
			unread, total, c->sources_read);
	if (damaged > 0)
		fprintf(out,
			"<p class=\"notice\">%d input%s ended in damage: what "
			"came before it is counted.</p>\n",
			damaged, damaged == 1 ? "" : "s");
	if (c->interrupted)
		fputs("<p class=\"notice\">The run was interrupted by a "
		      "signal: the figures cover what was read until "
		      "then.</p>\n",
		      out);
	if (r->flows && r->flows->ended[PN_END_EVICTED])
		fprintf(out,
			"<p class=\"notice\">%llu flows were ended early by "
			"--max-flows %lu; raise it to keep them whole.</p>\n",
			ull(r->flows->ended[PN_END_EVICTED]),
			(unsigned long)r->max_flows);
	if (c->time_steps_back)
		fprintf(out,
			"<p class=\"notice\">Capture time stepped back %llu "
			"time%s (by up to %.6f s).</p>\n",
			ull(c->time_steps_back),
			c->time_steps_back == 1 ? "" : "s",
			(double)c->time_step_back_max_us / 1e6);
}

static void overview(FILE *out, const struct pn_html_report *r)
{
	const struct pn_stats_view *v = r->view;
	const struct pn_service_row *all = &v->all;
	char a[PN_TIME_TEXT_SIZE];
	fputs("<section id=\"overview\">\n<h2>Inputs and totals</h2>\n<dl>\n"
	      "<dt>Inputs</dt><dd><ul id=\"inputs\">",
	      out);
	for (int i = 0; i < r->n_inputs; i++) {
		fputs("<li><code>", out);
		html(out, r->inputs[i]);
		fputs("</code></li>", out);
	}
	fputs("</ul></dd>\n<dt>Registry</dt><dd id=\"registry\">IANA "
	      "Service Name and Transport Protocol Port Number Registry, "
	      "snapshot ",
	      out);
	html(out, pn_registry_date_text(r->reg));
	fprintf(out, ", %s <code>",
		r->reg == pn_registry_builtin() ? "built in from"
						: "read from");
	html(out, r->reg->source);
	fputs("</code></dd>\n", out);
	if (r->decl) {
		unsigned long n = pn_declarations_ports(r->decl);
		fprintf(out,
			"<dt>Declarations</dt><dd>%lu port%s declared in "
			"<code>",
			n, n == 1 ? "" : "s");
		html(out, pn_declarations_path(r->decl));
		fputs("</code>: their flows are judged against the "
		      "declaration instead of the registry</dd>\n",
		      out);
	}
	if (r->filter) {
		fputs("<dt>Filter</dt><dd><code>", out);
		html(out, r->filter);
		fputs("</code></dd>\n", out);
	}
	if (r->count)
		fprintf(out, "<dt>Packet limit</dt><dd>the first %llu</dd>\n",
			ull(r->count));
	fprintf(out, "<dt>Payload evidence</dt><dd>%s</dd>\n</dl>\n",
		v->evidence ? "examined: the first payloads of each flow (at "
			      "most two per side) judged by port-blind "
			      "recognizers"
			    : "not examined (--no-evidence)");
	notices(out, r);

	fputs("<table id=\"totals\">\n<caption>Totals</caption>\n", out);
	static const char *const cols[] = {"What", "#Count"};
	thead(out, cols, 2);
	fputs("<tbody>\n", out);
	const struct pn_capture_stats *c = r->capture;
	struct {
		const char *what;
		uint64_t n;
	} rows[] = {
	    {"packets read", c->decode.packets},
	    {"bytes read (on the wire)", c->bytes},
	    {"packets in flows", all->packets[0] + all->packets[1]},
	    {"bytes in flows", all->bytes[0] + all->bytes[1]},
	    {"bytes in flows, client to server", all->bytes[0]},
	    {"bytes in flows, server to client", all->bytes[1]},
	    {"flows", all->flows},
	    {"services", v->services},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		fputs("<tr>", out);
		th_row(out, rows[i].what);
		td(out, rows[i].n);
		fputs("</tr>\n", out);
	}
	fputs("</tbody>\n</table>\n", out);
	if (all->flows) {
		int64_t span = pn_time_sub(all->last_us, all->first_us);
		uint64_t m = span < 0 ? 0 : (uint64_t)span;
		fprintf(out, "<p id=\"span\">Flows seen from <time>%s</time> ",
			time_text(all->first_us, a));
		fprintf(
		    out,
		    "to <time>%s</time> (UTC), a span of %llu.%06u s.</p>\n",
		    time_text(all->last_us, a), ull(m / 1000000),
		    (unsigned)(m % 1000000));
	} else {
		fputs("<p id=\"span\">No flows were seen.</p>\n", out);
	}
	fputs("</section>\n", out);
}

static void services(FILE *out, const struct pn_html_report *r)
{
	const struct pn_stats_view *v = r->view;
	const struct pn_service_row **list =
	    xcalloc(v->shown + 1, sizeof *list);
	unsigned n = chart_rows(v, list);
	label_buf *labels = xcalloc(n, sizeof *labels);
	struct hbar_row *bytes = xcalloc(n, sizeof *bytes);
	struct hbar_row *flows = xcalloc(n, sizeof *flows);
	for (unsigned i = 0; i < n; i++) {
		row_label(v, list[i], labels[i], sizeof labels[i]);
		bytes[i] = (struct hbar_row){
		    .label = labels[i],
		    .v = {list[i]->bytes[0], list[i]->bytes[1]},
		    .muted = !list[i]->name};
		flows[i] = (struct hbar_row){.label = labels[i],
					     .v = {list[i]->flows},
					     .muted = !list[i]->name};
	}
	fputs("<section id=\"services\">\n<h2>Services</h2>\n", out);
	if (!v->services) {
		fputs("<p>No flows were seen, so there are no "
		      "services.</p>\n</section>\n",
		      out);
		goto done;
	}
	if (v->shown < v->services)
		fprintf(out,
			"<p>Flows grouped by what their server port is "
			"registered for on its transport: the %u largest of "
			"%u services by bytes, then the others summed.</p>\n",
			v->shown, v->services);
	else
		fprintf(out,
			"<p>Flows grouped by what their server port is "
			"registered for on its transport: all %u service%s, "
			"by bytes.</p>\n",
			v->services, v->services == 1 ? "" : "s");
	if (v->past_flows)
		fprintf(out,
			"<p>Only %u services are kept: the %llu flows of %llu "
			"more registry slots or ports seen after that are "
			"summed with the others.</p>\n",
			v->services, ull(v->past_flows), ull(v->past_keys));
	static const char *const dirs[2] = {"client\xe2\x86\x92server",
					    "server\xe2\x86\x92"
					    "client"};
	struct hbar bc = {.id = "chart-bytes",
			  .aria = "Bytes per service, client to server and "
				  "server to client; the numbers are in the "
				  "table below",
			  .unit = "bytes",
			  .human = true,
			  .n_series = 2,
			  .series = dirs,
			  .colors = dir_colors,
			  .n_rows = n,
			  .rows = bytes};
	fputs("<figure>\n<div class=\"wide\">\n", out);
	hbar_svg(out, &bc);
	fputs("</div>\n", out);
	legend(out, 2, dirs, dir_colors);
	fputs("<figcaption>Bytes each way per service (on the wire, as "
	      "captured), by what the server port is registered for.</"
	      "figcaption>\n</figure>\n",
	      out);
	static const char *const flow_color[1] = {"#009988"};
	struct hbar fc = {.id = "chart-flows",
			  .aria = "Flows per service; the numbers are in the "
				  "table below",
			  .unit = "flows",
			  .n_series = 1,
			  .colors = flow_color,
			  .n_rows = n,
			  .rows = flows};
	fputs("<figure>\n<div class=\"wide\">\n", out);
	hbar_svg(out, &fc);
	fputs("</div>\n<figcaption>Flows per service. A flow carries both "
	      "directions; its client and server are told apart as the "
	      "<a href=\"#basis\">server side</a> section says.</"
	      "figcaption>\n</figure>\n",
	      out);

	fputs("<div class=\"wide\">\n<table id=\"services-table\">\n"
	      "<caption>Services: what the server port is registered for, "
	      "with packets and bytes each way</caption>\n",
	      out);
	static const char *const cols[] = {"Registered for",
					   "Transport",
					   "Port",
					   "#Flows",
					   "#Packets client\xe2\x86\x92server",
					   "#Packets server\xe2\x86\x92"
					   "client",
					   "#Bytes client\xe2\x86\x92server",
					   "#Bytes server\xe2\x86\x92"
					   "client",
					   "#Clients",
					   "#Servers",
					   "First seen (UTC)",
					   "Last seen (UTC)"};
	thead(out, cols, sizeof cols / sizeof cols[0]);
	fputs("<tbody>\n", out);
	for (unsigned i = 0; i <= n; i++) {
		const struct pn_service_row *s = i < n ? list[i] : &v->all;
		char label[600], ports[16], a[PN_TIME_TEXT_SIZE];
		fprintf(out, "<tr%s>", s->name ? "" : " class=\"sum\"");
		th_row(out, s->name ? s->name
				    : row_label(v, s, label, sizeof label));
		td_text(out, transport_text(s));
		td_text(out, ports_text(s, ports));
		td(out, s->flows);
		td(out, s->packets[0]);
		td(out, s->packets[1]);
		td(out, s->bytes[0]);
		td(out, s->bytes[1]);
		td_count(out, s->clients, s->clients_approximate);
		td_count(out, s->servers, s->servers_approximate);
		fprintf(out, "<td class=\"t\">%s</td>",
			s->flows ? time_text(s->first_us, a) : "-");
		fprintf(out, "<td class=\"t\">%s</td>",
			s->flows ? time_text(s->last_us, a) : "-");
		fputs("</tr>\n", out);
	}
	fputs("</tbody>\n</table>\n</div>\n</section>\n", out);
done:
	free(list);
	free(labels);
	free(bytes);
	free(flows);
}

/* "09:00:20" for an axis label: as much of the time as the bins need. */
static const char *axis_time(pn_time_us us, int64_t bin_us, bool days,
			     char buf[PN_TIME_TEXT_SIZE])
{
	if (!pn_time_is_iso(us))
		return pn_time_text(us, buf);
	struct tm tm;
	time_t sec = (time_t)(us / PN_US_PER_SEC);
	unsigned frac = (unsigned)(us % PN_US_PER_SEC);
	gmtime_r(&sec, &tm);
	if (bin_us >= INT64_C(86400000000))
		strftime(buf, PN_TIME_TEXT_SIZE, "%Y-%m-%d", &tm);
	else if (days)
		strftime(buf, PN_TIME_TEXT_SIZE, "%m-%d %H:%M", &tm);
	else if (bin_us >= 60000000)
		strftime(buf, PN_TIME_TEXT_SIZE, "%H:%M", &tm);
	else {
		size_t k = strftime(buf, PN_TIME_TEXT_SIZE, "%H:%M:%S", &tm);
		if (bin_us % 1000000 && bin_us % 1000 == 0)
			snprintf(buf + k, PN_TIME_TEXT_SIZE - k, ".%03u",
				 frac / 1000);
		else if (bin_us % 1000000)
			snprintf(buf + k, PN_TIME_TEXT_SIZE - k, ".%06u", frac);
	}
	return buf;
}

/* Bins between x-axis labels: a round number, about eight labels. */
static unsigned label_every(unsigned bins)
{
	static const unsigned steps[] = {1,   2,   3,	5,   6,	 10, 12,
					 15,  20,  24,	30,  40, 50, 60,
					 100, 120, 150, 200, 240};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (steps[i] * 8 >= bins)
			return steps[i];
	return bins;
}

static void timeline(FILE *out, const struct pn_html_report *r)
{
	const struct pn_stats_view *v = r->view;
	char wtext[32], a[PN_TIME_TEXT_SIZE], b[PN_TIME_TEXT_SIZE], t[40];
	fputs("<section id=\"timeline\">\n<h2>Timeline</h2>\n", out);
	unsigned nb = v->bins;
	if (!nb || !v->all.bins) {
		fputs("<p>No flows, so no timeline.</p>\n</section>\n", out);
		return;
	}
	pn_timeline_width_text(v->bin_us, wtext);
	/* The largest services one by one, then everything else. */
	unsigned k = v->shown < PN_REPORT_TIMELINE_SERIES
			 ? v->shown
			 : PN_REPORT_TIMELINE_SERIES;
	bool others = k < v->services;
	unsigned ns = k + others;
	char names[ns][600];
	const char *name_ptr[ns];
	static uint64_t other[PN_TIMELINE_BINS];
	const uint64_t *series[ns];
	for (unsigned s = 0; s < k; s++) {
		row_label(v, &v->rows[s], names[s], sizeof names[s]);
		series[s] = v->rows[s].bins;
	}
	if (others) {
		snprintf(names[k], sizeof names[k], "other services");
		for (unsigned i = 0; i < nb; i++) {
			uint64_t rest = v->all.bins[i];
			for (unsigned s = 0; s < k; s++)
				rest -= series[s][i];
			other[i] = rest;
		}
		series[k] = other;
	}
	for (unsigned s = 0; s < ns; s++)
		name_ptr[s] = names[s];
	const char *const *colors = series_colors;
	const char *color_of[ns];
	for (unsigned s = 0; s < k; s++)
		color_of[s] = colors[s];
	if (others)
		color_of[k] = colors[PN_REPORT_TIMELINE_SERIES];

	double per_sec = 1e6 / (double)v->bin_us;
	uint64_t peak = 0;
	for (unsigned i = 0; i < nb; i++)
		if (v->all.bins[i] > peak)
			peak = v->all.bins[i];
	double peak_rate = (double)peak * per_sec;
	uint64_t top_rate = (uint64_t)(peak_rate + 0.999999);
	uint64_t step = nice_step(top_rate ? top_rate : 1, 4);
	uint64_t top = (top_rate / step + (top_rate % step != 0)) * step;
	if (!top)
		top = step;
	const double x0 = 80, x1 = 960, y0 = 12, y1 = 290;
	const unsigned height = 318;
	double bw = (x1 - x0) / nb, ys = (y1 - y0) / (double)top;
	pn_time_us end_us = pn_time_add(v->bin0_us, (int64_t)nb * v->bin_us);
	bool days = false;
	if (pn_time_is_iso(v->bin0_us) && pn_time_is_iso(end_us))
		days = v->bin0_us / INT64_C(86400000000) !=
		       (end_us - 1) / INT64_C(86400000000);

	fprintf(out,
		"<p>Bytes per second, both directions together, of the %s%u "
		"service%s%s, stacked, in %u bins of %s. Each flow's bytes "
		"each way are spread evenly from its first to its last packet "
		"that way, so a long flow shows its average rate.</p>\n",
		others ? "largest " : "", k, k == 1 ? "" : "s",
		others ? " and of all other flows" : "", nb, wtext);
	fputs("<figure>\n<div class=\"wide\">\n", out);
	fprintf(out,
		"<svg id=\"chart-timeline\" class=\"chart\" viewBox=\"0 0 %d "
		"%u\" width=\"%d\" height=\"%u\" role=\"img\" "
		"aria-label=\"Bytes per second of the largest services over "
		"capture time, stacked; the numbers are in the table "
		"below\">\n",
		CHART_W, height, CHART_W, height);
	fputs("<g class=\"axis\">", out);
	for (uint64_t y = 0; y <= top; y += step) {
		double py = y1 - (double)y * ys;
		fprintf(
		    out,
		    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s"
		    "</text>",
		    x0, py, x1, py, x0 - 6, py + 4, si((double)y, "B/s", t));
		if (top - y < step)
			break;
	}
	/* Labels on round bins (bins start at multiples of the width
	 * from 1970, so on round times). */
	unsigned every = label_every(nb);
	int64_t first_abs = v->bin0_us / v->bin_us;
	if (v->bin0_us % v->bin_us < 0)
		first_abs--;
	for (unsigned i = 0; i <= nb; i++) {
		int64_t abs = first_abs + i;
		int64_t mod = abs % (int64_t)every;
		if (mod < 0)
			mod += every;
		if (mod)
			continue;
		double px = x0 + i * bw;
		fprintf(
		    out,
		    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s"
		    "</text>",
		    px, y0, px, y1 + 5, px, y1 + 18,
		    axis_time(pn_time_add(v->bin0_us, (int64_t)i * v->bin_us),
			      v->bin_us, days, a));
	}
	fputs("</g>\n", out);
	/* The stack, bottom up: each band between the cumulative sums
	 * below and including it, as steps (a bin is an interval). */
	static double below[PN_TIMELINE_BINS], above[PN_TIMELINE_BINS];
	memset(below, 0, sizeof below);
	for (unsigned s = 0; s < ns; s++) {
		for (unsigned i = 0; i < nb; i++)
			above[i] = below[i] + (double)series[s][i] * per_sec;
		fprintf(out, "<path fill=\"%s\" d=\"M%.1f %.1f", color_of[s],
			x0, y1 - below[0] * ys);
		for (unsigned i = 0; i < nb; i++)
			fprintf(out, "L%.1f %.1fL%.1f %.1f", x0 + i * bw,
				y1 - above[i] * ys, x0 + (i + 1) * bw,
				y1 - above[i] * ys);
		for (unsigned i = nb; i-- > 0;)
			fprintf(out, "L%.1f %.1fL%.1f %.1f", x0 + (i + 1) * bw,
				y1 - below[i] * ys, x0 + i * bw,
				y1 - below[i] * ys);
		fputs("Z\"><title>", out);
		html(out, names[s]);
		fputs("</title></path>\n", out);
		memcpy(below, above, sizeof below);
	}
	fprintf(out,
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#57606a\"/>\n",
		x0, y1, x1, y1);
	/* A column per bin with every number of that bin. */
	for (unsigned i = 0; i < nb; i++) {
		pn_time_us from =
		    pn_time_add(v->bin0_us, (int64_t)i * v->bin_us);
		fprintf(out,
			"<rect class=\"hit\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\"><title>%s, %s: all "
			"%s",
			x0 + i * bw, y0, bw, y1 - y0, time_text(from, b), wtext,
			si((double)v->all.bins[i] * per_sec, "B/s", t));
		for (unsigned s = 0; s < ns; s++) {
			if (!series[s][i])
				continue;
			fputs("; ", out);
			html(out, names[s]);
			fprintf(out, " %s",
				si((double)series[s][i] * per_sec, "B/s", t));
		}
		fputs("</title></rect>\n", out);
	}
	fputs("</svg>\n</div>\n", out);
	legend(out, ns, name_ptr, color_of);
	fprintf(out,
		"<figcaption>From <time>%s</time> to <time>%s</time> (UTC); "
		"peak %s in one bin of %s.</figcaption>\n</figure>\n",
		time_text(v->bin0_us, a), time_text(end_us, b),
		si(peak_rate, "B/s", t), wtext);

	fprintf(out,
		"<details>\n<summary>The timeline as a table (%u bins of "
		"%s)</summary>\n<div class=\"wide\">\n<table "
		"id=\"timeline-table\">\n<caption>Bytes in each bin of %s, "
		"both directions (divide by the bin's width for bytes per "
		"second)</caption>\n<thead><tr><th scope=\"col\">Bin start "
		"(UTC)</th>",
		nb, wtext, wtext);
	for (unsigned s = 0; s < ns; s++) {
		fputs("<th scope=\"col\" class=\"n\">", out);
		html(out, names[s]);
		fputs("</th>", out);
	}
	fputs("<th scope=\"col\" class=\"n\">All flows</th></tr></thead>\n"
	      "<tbody>\n",
	      out);
	for (unsigned i = 0; i < nb; i++) {
		fputs("<tr>", out);
		th_row(out,
		       time_text(
			   pn_time_add(v->bin0_us, (int64_t)i * v->bin_us), a));
		for (unsigned s = 0; s < ns; s++)
			td(out, series[s][i]);
		td(out, v->all.bins[i]);
		fputs("</tr>\n", out);
	}
	fputs("</tbody>\n</table>\n</div>\n</details>\n</section>\n", out);
}

static void basis(FILE *out, const struct pn_html_report *r)
{
	const struct pn_service_row *all = &r->view->all;
	struct hbar_row rows[PN_BASIS_COUNT];
	char notes[PN_BASIS_COUNT][32];
	const char *names[PN_BASIS_COUNT];
	for (int i = 0; i < PN_BASIS_COUNT; i++) {
		snprintf(notes[i], sizeof notes[i], "(%.1f%%)",
			 share(all->basis[i], all->flows));
		names[i] = pn_basis_name((enum pn_basis)i);
		rows[i] = (struct hbar_row){
		    .label = names[i], .v = {all->basis[i]}, .note = notes[i]};
	}
	fputs("<section id=\"basis\">\n<h2>Server side: on what "
	      "basis</h2>\n<p>For each flow, portnote chose which end is the "
	      "server on the strongest evidence it had; the service is what "
	      "that end's port is registered for.</p>\n",
	      out);
	static const char *const color[1] = {"#0077bb"};
	struct hbar c = {.id = "chart-basis",
			 .aria = "Flows by the basis on which the server side "
				 "was chosen; the numbers are in the table "
				 "below",
			 .unit = "flows",
			 .n_series = 1,
			 .colors = color,
			 .n_rows = PN_BASIS_COUNT,
			 .rows = rows};
	fputs("<figure>\n<div class=\"wide\">\n", out);
	hbar_svg(out, &c);
	fputs("</div>\n<figcaption>Flows by basis.</figcaption>\n"
	      "</figure>\n<table id=\"basis-table\">\n<caption>Flows by the "
	      "basis of their server side</caption>\n",
	      out);
	static const char *const cols[] = {"Basis", "Chosen by", "#Flows",
					   "#Share"};
	thead(out, cols, 4);
	fputs("<tbody>\n", out);
	for (int i = 0; i < PN_BASIS_COUNT; i++) {
		fputs("<tr>", out);
		th_row(out, names[i]);
		td_text(out, basis_words[i]);
		td(out, all->basis[i]);
		fprintf(out, "<td class=\"n\">%.1f%%</td></tr>\n",
			share(all->basis[i], all->flows));
	}
	fputs("</tbody>\n</table>\n</section>\n", out);
}

static void flags(FILE *out, const struct pn_html_report *r)
{
	const struct pn_stats_view *v = r->view;
	const struct pn_service_row *all = &v->all;
	struct hbar_row rows[PN_FF_COUNT];
	char notes[PN_FF_COUNT][32];
	for (unsigned i = 0; i < PN_FF_COUNT; i++) {
		snprintf(notes[i], sizeof notes[i], "(%.1f%%)",
			 share(all->flagged[i], all->flows));
		rows[i] = (struct hbar_row){.label = pn_flow_flag_name(i),
					    .v = {all->flagged[i]},
					    .note = notes[i]};
	}
	fputs("<section id=\"flags\">\n<h2>Registry flags</h2>\n<p>Flows "
	      "whose server port the registry marks, and flows whose two "
	      "ports are registered to different services.</p>\n",
	      out);
	static const char *const color[1] = {"#cc6677"};
	struct hbar c = {.id = "chart-flags",
			 .aria = "Flagged flows by registry flag; the numbers "
				 "are in the table below",
			 .unit = "flows",
			 .n_series = 1,
			 .colors = color,
			 .n_rows = PN_FF_COUNT,
			 .rows = rows};
	fputs("<figure>\n<div class=\"wide\">\n", out);
	hbar_svg(out, &c);
	fputs("</div>\n<figcaption>Flagged flows (a flow may carry several "
	      "flags).</figcaption>\n</figure>\n<table "
	      "id=\"flags-table\">\n<caption>Flagged flows</caption>\n",
	      out);
	static const char *const cols[] = {"Flag", "Flows counted", "#Flows",
					   "#Share"};
	thead(out, cols, 4);
	fputs("<tbody>\n", out);
	for (unsigned i = 0; i < PN_FF_COUNT; i++) {
		fputs("<tr>", out);
		th_row(out, pn_flow_flag_name(i));
		td_text(out, flag_words[i]);
		td(out, all->flagged[i]);
		fprintf(out, "<td class=\"n\">%.1f%%</td></tr>\n",
			share(all->flagged[i], all->flows));
	}
	fputs("</tbody>\n</table>\n", out);

	/* Which services the flagged flows went to. */
	const struct pn_service_row **list =
	    xcalloc(v->shown + 1, sizeof *list);
	unsigned n = chart_rows(v, list), flagged = 0;
	for (unsigned i = 0; i < n; i++)
		for (unsigned f = 0; f < PN_FF_COUNT; f++)
			if (list[i]->flagged[f]) {
				list[flagged++] = list[i];
				break;
			}
	if (!flagged) {
		fputs("<p>No flow was flagged.</p>\n</section>\n", out);
		free(list);
		return;
	}
	fputs("<div class=\"wide\">\n<table id=\"flagged-services-table\">\n"
	      "<caption>Flagged flows by service</caption>\n<thead><tr><th "
	      "scope=\"col\">Service</th>",
	      out);
	for (unsigned f = 0; f < PN_FF_COUNT; f++)
		fprintf(out, "<th scope=\"col\" class=\"n\">%s</th>",
			pn_flow_flag_name(f));
	fputs("<th scope=\"col\" class=\"n\">Flows</th></tr></thead>\n"
	      "<tbody>\n",
	      out);
	for (unsigned i = 0; i < flagged; i++) {
		char label[600];
		fprintf(out, "<tr%s>", list[i]->name ? "" : " class=\"sum\"");
		th_row(out, row_label(v, list[i], label, sizeof label));
		for (unsigned f = 0; f < PN_FF_COUNT; f++)
			td(out, list[i]->flagged[f]);
		td(out, list[i]->flows);
		fputs("</tr>\n", out);
	}
	fputs("</tbody>\n</table>\n</div>\n</section>\n", out);
	free(list);
}

static void verdicts(FILE *out, const struct pn_html_report *r)
{
	const struct pn_stats_view *v = r->view;
	fputs("<section id=\"verdicts\">\n<h2>Payload verdicts</h2>\n", out);
	if (!v->evidence) {
		fputs("<p>Payloads were not examined (--no-evidence): no "
		      "verdicts.</p>\n</section>\n",
		      out);
		return;
	}
	const struct pn_service_row *all = &v->all;
	fprintf(out,
		"<p>Whether each flow's first payload bytes look like what "
		"its server port is %s for: %llu of %llu flows carried "
		"payload; %llu agree, %llu differ, %llu unverified. What the "
		"bytes looked like was judged without looking at the port; "
		"it is not proof either.</p>\n",
		r->decl ? "registered or declared" : "registered",
		ull(all->flows - all->verdict[PN_V_NO_PAYLOAD]),
		ull(all->flows), ull(all->verdict[PN_V_AGREES]),
		ull(all->verdict[PN_V_DIFFERS]),
		ull(all->verdict[PN_V_UNVERIFIED]));
	const struct pn_service_row **list =
	    xcalloc(v->shown + 1, sizeof *list);
	unsigned n = chart_rows(v, list);
	label_buf *labels = xcalloc(n, sizeof *labels);
	struct hbar_row *rows = xcalloc(n, sizeof *rows);
	for (unsigned i = 0; i < n; i++) {
		row_label(v, list[i], labels[i], sizeof labels[i]);
		rows[i] = (struct hbar_row){.label = labels[i],
					    .muted = !list[i]->name};
		for (int k = 0; k < PN_V_COUNT; k++)
			rows[i].v[k] = list[i]->verdict[verdict_order[k]];
	}
	struct hbar c = {.id = "chart-verdicts",
			 .aria = "Flows per service by payload verdict; the "
				 "numbers are in the table below",
			 .unit = "flows",
			 .stacked = true,
			 .n_series = PN_V_COUNT,
			 .series = verdict_words,
			 .colors = verdict_colors,
			 .n_rows = n,
			 .rows = rows};
	fputs("<figure>\n<div class=\"wide\">\n", out);
	hbar_svg(out, &c);
	fputs("</div>\n", out);
	legend(out, PN_V_COUNT, verdict_words, verdict_colors);
	fputs("<figcaption>Flows per service by payload verdict.</"
	      "figcaption>\n</figure>\n<div class=\"wide\">\n<table "
	      "id=\"verdicts-table\">\n<caption>Flows per service by payload "
	      "verdict</caption>\n",
	      out);
	static const char *const cols[] = {"Service",	  "#Flows",
					   "#Agrees",	  "#Differs",
					   "#Unverified", "#No payload"};
	thead(out, cols, 6);
	fputs("<tbody>\n", out);
	for (unsigned i = 0; i <= n; i++) {
		const struct pn_service_row *s = i < n ? list[i] : all;
		char label[600];
		fprintf(out, "<tr%s>", s->name ? "" : " class=\"sum\"");
		th_row(out, row_label(v, s, label, sizeof label));
		td(out, s->flows);
		for (int k = 0; k < PN_V_COUNT; k++)
			td(out, s->verdict[verdict_order[k]]);
		fputs("</tr>\n", out);
	}
	fputs("</tbody>\n</table>\n</div>\n", out);
	free(list);
	free(labels);
	free(rows);

	fprintf(out,
		"<h3 id=\"differs\">Payload differs from the registration: "
		"%u server port%s</h3>\n",
		v->n_differs, v->n_differs == 1 ? "" : "s");
	if (!v->n_differs) {
		fputs("<p>No server port carried payload that differs from "
		      "what it is registered for.</p>\n</section>\n",
		      out);
		return;
	}
	fputs("<div class=\"wide\">\n<table id=\"differs-table\">\n<caption>"
	      "Server ports whose payload differs from what they are "
	      "registered for, by what it looked like</caption>\n",
	      out);
	static const char *const dcols[] = {
	    "Server port", "Registered for", "Payload looks like",
	    "#Flows",	   "#Clients",	     "#Servers",
	    "#Bytes"};
	thead(out, dcols, 7);
	fputs("<tbody>\n", out);
	for (unsigned i = 0; i < v->n_differs; i++) {
		const struct pn_differ_row *d = &v->differs[i];
		char port[24];
		snprintf(port, sizeof port, "%u/%s", d->port,
			 pn_transport_name((enum pn_transport)d->transport));
		fputs("<tr>", out);
		th_row(out, port);
		td_text(out, d->registered_for);
		td_text(out, d->looks_like);
		td(out, d->flows);
		td_count(out, d->clients, d->clients_approximate);
		td_count(out, d->servers, d->servers_approximate);
		td(out, d->bytes);
		fputs("</tr>\n", out);
	}
	fputs("</tbody>\n</table>\n</div>\n</section>\n", out);
}

static void count_row(FILE *out, const char *what, const char *detail,
		      uint64_t n)
{
	fputs("<tr>", out);
	th_row(out, what);
	td_text(out, detail);
	td(out, n);
	fputs("</tr>\n", out);
}

static void anomalies(FILE *out, const struct pn_html_report *r)
{
	const struct pn_decode_counters *c = &r->capture->decode;
	char buf[64];
	fputs("<section id=\"anomalies\">\n<h2>Decode anomalies</h2>\n"
	      "<table id=\"decode-table\">\n<caption>What the decoders made "
	      "of every packet</caption>\n",
	      out);
	static const char *const cols[] = {"Packets", "Kind", "#Count"};
	thead(out, cols, 3);
	fputs("<tbody>\n", out);
	count_row(out, "read", "", c->packets);
	for (int t = 0; t < PN_L4_NONE; t++)
		if (c->l4[t])
			count_row(out, "with ports", pn_l4_name(t), c->l4[t]);
	for (int p = 0; p < 256; p++)
		if (c->portless[p])
			count_row(out, "without ports",
				  pn_ip_proto_text((uint8_t)p, buf),
				  c->portless[p]);
	for (int k = 1; k < PN_NONIP_COUNT; k++)
		if (c->nonip[k])
			count_row(out, "non-IP", pn_decode_nonip_name(k),
				  c->nonip[k]);
	if (c->status[PN_FRAGMENT])
		count_row(out, "later fragments", "no ports",
			  c->status[PN_FRAGMENT]);
	uint64_t undecoded = c->status[PN_TRUNCATED] + c->status[PN_MALFORMED] +
			     c->status[PN_UNSUPPORTED];
	count_row(out, "not decoded", "", undecoded);
	count_row(out, "decoded with warnings", "", c->warned);
	fputs("</tbody>\n</table>\n", out);

	if (!undecoded) {
		fputs("<p id=\"anomalies-none\">Every packet was decoded: no "
		      "anomaly.</p>\n",
		      out);
	} else {
		fputs("<table id=\"anomalies-table\">\n<caption>Packets that "
		      "could not be decoded, by reason</caption>\n",
		      out);
		static const char *const rcols[] = {"Reason", "#Packets"};
		thead(out, rcols, 2);
		fputs("<tbody>\n", out);
		for (int i = 1; i < PN_R_COUNT; i++) {
			if (!c->reason[i] || i == PN_R_IPV4_FRAGMENT ||
			    i == PN_R_IPV6_FRAGMENT)
				continue;
			if (i != PN_R_UNSUPPORTED_ETHERTYPE) {
				fputs("<tr>", out);
				th_row(out, pn_decode_reason_name(
						(enum pn_decode_reason)i));
				td(out, c->reason[i]);
				fputs("</tr>\n", out);
				continue;
			}
			for (int e = 0;
			     e < PN_ETHERTYPE_KEEP && c->ethertype_count[e];
			     e++) {
				snprintf(buf, sizeof buf,
					 "unsupported-ethertype 0x%04x",
					 c->ethertype_value[e]);
				fputs("<tr>", out);
				th_row(out, buf);
				td(out, c->ethertype_count[e]);
				fputs("</tr>\n", out);
			}
			if (c->ethertype_other) {
				fputs("<tr>", out);
				th_row(out, "unsupported-ethertype other");
				td(out, c->ethertype_other);
				fputs("</tr>\n", out);
			}
		}
		fputs("</tbody>\n</table>\n", out);
	}
	if (c->warned) {
		fputs("<table id=\"warnings-table\">\n<caption>Packets decoded "
		      "and counted, with warnings</caption>\n",
		      out);
		static const char *const wcols[] = {"Warning", "#Packets"};
		thead(out, wcols, 2);
		fputs("<tbody>\n", out);
		for (int w = 0; w < PN_W_COUNT; w++)
			if (c->warning[w]) {
				fputs("<tr>", out);
				th_row(out, pn_decode_warning_name(
						(enum pn_decode_warning)w));
				td(out, c->warning[w]);
				fputs("</tr>\n", out);
			}
		fputs("</tbody>\n</table>\n", out);
	}
	fputs("</section>\n", out);
}

void pn_report_html(FILE *out, const struct pn_html_report *r)
{
	head(out, r);
	header(out);
	overview(out, r);
	services(out, r);
	timeline(out, r);
	basis(out, r);
	flags(out, r);
	verdicts(out, r);
	anomalies(out, r);
	fprintf(out,
		"</main>\n<footer>\n<p>Made by portnote %s with the IANA "
		"registry snapshot ",
		PORTNOTE_VERSION);
	html(out, pn_registry_date_text(r->reg));
	fputs(". This page is self-contained: no script, nothing loaded "
	      "from elsewhere. ",
	      out);
	html(out, warning_text);
	fputs("</p>\n</footer>\n</body>\n</html>\n", out);
}
