/* cmd_packets.c — "portnote packets": one line per packet, with what the
 * registry records for each of its ports; optionally a pcapng copy that
 * carries the same annotation as each packet's comment. */
#include "portnote/annotate.h"
#include "portnote/capture.h"
#include "portnote/cli.h"
#include "portnote/commands.h"
#include "portnote/flowprint.h"
#include "portnote/outfile.h"
#include "portnote/pcapng.h"
#include "portnote/summary.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert((int)PN_L4_TCP == (int)PN_TCP && (int)PN_L4_UDP == PN_UDP &&
		   (int)PN_L4_SCTP == (int)PN_SCTP &&
		   (int)PN_L4_DCCP == (int)PN_DCCP,
	       "decoded transports index the port table directly");

static const char usage[] =
    "usage: portnote packets [options] -r FILE... | -i IFACE [EXPR]\n"
    "\n"
    "Prints one line per packet: time, frame number, transport, source and\n"
    "destination address.port, length, and what the IANA registry records\n"
    "for each port (\"443 registered for https\"). A registered port does\n"
    "not prove what the traffic is. Packets that cannot be decoded are\n"
    "printed with the reason, and a summary of every reason ends the run\n"
    "(on stderr, or as the last JSON line). The packet whose payload\n"
    "decided its flow's verdict (whether the first payload bytes look like\n"
    "what the server port is registered for) carries that verdict.\n"
    "\n" PN_CAPTURE_HELP "output:\n"
    "  -w, --write FILE     also write every packet to FILE (pcapng), with\n"
    "                       the annotation as the packet comment; FILE\n"
    "                       is written as FILE.XXXXXX and renamed at the\n"
    "                       end, and must not be an input; '-w -' writes\n"
    "                       the pcapng to standard output instead of the\n"
    "                       lines (for tshark -r - or a file)\n"
    "  --no-evidence        do not examine payloads (no "
    "verdicts)\n" PN_COMMON_HELP "\n"
    "Exit status: 0; 1 if an input could not be read in full (the output\n"
    "still covers everything read; when no input could be read at all, the\n"
    "errors are all that is printed) or -w failed; 2 on bad usage,\n"
    "including a bad filter expression or -w onto an input.\n";

struct run {
	struct pn_cli *cli;
	struct pn_annotator *ann;
	FILE *out;
	struct pn_pcapng *pcapng;
	uint32_t interface;
	bool several_files;
	bool live; /* lines go out one by one */
	bool header_done;
	/* -w -: standard output is the capture, annotated in its comments;
	 * no lines are printed. */
	bool capture_out;
	/* -w with -i: the file is created once the capture has given up
	 * root, as the user it became; a failure stops the run. */
	const char *write_path;
	bool write_open_failed;
	/* Flows, to mark the packet that decided each one's verdict. */
	struct pn_flow_table *table;
};

/* The flow's verdict when this packet changed it (the packet that
 * decided it, or changed it again), as text into buf, with *v and *looks
 * set; false when the packet decided nothing. */
static bool verdict_mark(struct run *r, const struct pcap_pkthdr *h,
			 const uint8_t *bytes, const struct pn_packet *p,
			 enum pn_payload_verdict *v, enum pn_proto *looks,
			 char *buf, size_t size)
{
	if (!r->table || p->status != PN_OK || p->l4 == PN_L4_NONE)
		return false;
	struct pn_flow *f =
	    pn_flow_packet(r->table, p, bytes, pn_time_from_timeval(&h->ts));
	/* Only a packet examined (payload, a DCCP-Request's service code)
	 * changes what a verdict rests on. */
	if (!f || !pn_flow_examined(r->table))
		return false;
	struct pn_verdict_detail d;
	*v = pn_flow_verdict(r->cli->reg, pn_annotator_declarations(r->ann), f,
			     &d);
	*looks = d.looks_like;
	uint8_t mark = pn_flow_verdict_mark(*v, d.looks_like);
	if (*v == PN_V_NO_PAYLOAD || mark == f->marked)
		return false;
	f->marked = mark;
	pn_flow_evidence_format(buf, size, r->cli->reg, r->ann, f);
	return true;
}

static bool open_write(struct run *r)
{
	char err[256];
	r->pcapng =
	    pn_pcapng_create(r->write_path, "portnote " PORTNOTE_VERSION, err);
	if (!r->pcapng)
		fprintf(stderr, "portnote packets: -w %s\n", pn_safe(err));
	return r->pcapng != NULL;
}

static const char *dccp_type_name(uint8_t t)
{
	static const char *const names[] = {
	    "Request",	"Response", "Data",  "Ack",  "DataAck",
	    "CloseReq", "Close",    "Reset", "Sync", "SyncAck"};
	return t < sizeof names / sizeof names[0] ? names[t] : "reserved";
}

static void addr_text(const struct pn_packet *p, const uint8_t *a,
		      char buf[INET6_ADDRSTRLEN])
{
	pn_addr_text(a, p->ip_version, buf);
}

/* "2026-01-15T09:00:00.123456Z" (pn_time_text), and its length. */
static size_t time_text(const struct pcap_pkthdr *h,
			char buf[PN_TIME_TEXT_SIZE])
{
	return strlen(pn_time_text(pn_time_from_timeval(&h->ts), buf));
}

static const char *transport_text(const struct pn_packet *p)
{
	if (p->l4 == PN_L4_UDP && p->udplite)
		return "udplite";
	return pn_l4_name(p->l4);
}

/* Appends to buf[n..size) as snprintf would, keeping buf terminated and
 * returning the new length, never more than size - 1. */
static size_t append(char *buf, size_t size, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t append(char *buf, size_t size, size_t n, const char *fmt, ...)
{
	if (n >= size - 1)
		return n;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	if (w < 0)
		return n;
	return (size_t)w < size - n ? n + (size_t)w : size - 1;
}

/* The annotation shared by the text line and the pcapng comment:
 * "tcp 10.0.0.1.51000 > 10.0.0.2.443 [S] len 74: 51000 dynamic,
 * unregistered; 443 registered for https". */
static size_t describe(struct run *r, const struct pn_packet *p,
		       const struct pcap_pkthdr *h, char *buf, size_t size)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], tmp[32];
	size_t n = 0;
#define ADD(...) (n = append(buf, size, n, __VA_ARGS__))
	buf[0] = '\0';
	if (p->vlan_count) {
		ADD("vlan %u", p->vlan[0]);
		for (unsigned i = 1; i < p->vlan_count && i < PN_VLAN_KEEP; i++)
			ADD(",%u", p->vlan[i]);
		ADD(" ");
	}
	if (p->tunnel != PN_TUNNEL_NONE)
		ADD("[%s] ", pn_tunnel_name(p->tunnel));
	if (p->pppoe)
		ADD("pppoe 0x%04x ", p->pppoe_session);
	if (p->mpls_count) {
		ADD("mpls %u", p->mpls_label[0]);
		for (unsigned i = 1; i < p->mpls_count && i < PN_MPLS_KEEP; i++)
			ADD(",%u", p->mpls_label[i]);
		ADD(" ");
	}
	if (p->ip_version) {
		addr_text(p, p->src, src);
		addr_text(p, p->dst, dst);
	}
	if (p->status == PN_OK && p->l4 != PN_L4_NONE) {
		ADD("%s %s.%u > %s.%u", transport_text(p), src, p->sport, dst,
		    p->dport);
		if (p->l4 == PN_L4_TCP && !p->has_tcp_flags)
			ADD(" [?]"); /* the snaplen cut them */
		else if (p->l4 == PN_L4_TCP)
			ADD(" [%s]", pn_tcp_flags_text(p->tcp_flags, tmp));
		else if (p->l4 == PN_L4_SCTP && p->has_sctp_chunk)
			ADD(p->sctp_chunk == PN_SCTP_CHUNK_INIT ? " [INIT]"
								: " [chunk %u]",
			    p->sctp_chunk);
		else if (p->l4 == PN_L4_DCCP && !p->has_dccp_type)
			ADD(" [?]");
		else if (p->l4 == PN_L4_DCCP) {
			ADD(" [%s", dccp_type_name(p->dccp_type));
			if (p->has_service_code) {
				char code[12];
				ADD(" service %s", pn_service_code_text(
						       p->service_code, code));
			}
			ADD("]");
		}
		char port[1024];
		pn_annotate_port(r->ann, (enum pn_transport)p->l4, p->sport,
				 port, sizeof port);
		ADD(" len %u: %s; ", h->len, port);
		pn_annotate_port(r->ann, (enum pn_transport)p->l4, p->dport,
				 port, sizeof port);
		ADD("%s", port);
	} else if (p->status == PN_OK && p->nonip != PN_NONIP_NONE) {
		/* ARP, LLDP, STP, PPP control: decoded, named, no ports. */
		ADD("%s", pn_decode_nonip_name(p->nonip));
		if (p->ip_version)
			ADD(" %s > %s", src, dst);
		ADD(" len %u: non-IP, no ports", h->len);
	} else if (p->status == PN_OK && p->ip_version) {
		ADD("%s %s > %s len %u", pn_ip_proto_text(p->ip_proto, tmp),
		    src, dst, h->len);
	} else if (p->status == PN_FRAGMENT) {
		ADD("fragment %s > %s len %u: later fragment of %s, no ports",
		    src, dst, h->len, pn_ip_proto_text(p->ip_proto, tmp));
	} else {
		ADD("%s", pn_decode_status_name(p->status));
		if (p->ip_version)
			ADD(" %s > %s", src, dst);
		ADD(" len %u: %s", h->len, pn_decode_reason_name(p->reason));
		if (p->reason == PN_R_UNSUPPORTED_ETHERTYPE)
			ADD(" 0x%04x", p->ethertype);
	}
	if (p->warnings) {
		char w[256];
		pn_decode_warnings_text(p->warnings, ", ", w, sizeof w);
		ADD("; warning: %s", w);
	}
#undef ADD
	return n;
}

/* JSON lines are built in one buffer: at millions of packets, fprintf's
 * format parsing and every extra copy are the cost. Lines accumulate and
 * go out in large writes (which stdio hands straight to the kernel), or
 * one by one on a live capture, where each should be seen at once. Every
 * line is bounded by LINE_MAX_BYTES here, and one that would not fit (only
 * a pathological --registry could make one) is built on its own. */
#define LINE_MAX_BYTES 8192
#define LINES_BYTES (1u << 20)

struct line {
	char buf[LINES_BYTES];
	struct pn_line w; /* in buf; its limit ends the line being built */
	size_t start;	  /* where the line being built starts */
	/* Every line of a source starts alike, up to the frame number:
	 * {"type":"packet","file":"<name, escaped>","frame": */
	const char *head_of; /* the source name head was built for */
	size_t head_len;
	char head[LINE_MAX_BYTES];
};

static struct line lines;

/* Writes out the lines built so far. */
static void flush_lines(FILE *out)
{
	if (lines.w.n)
		pn_out_write(lines.buf, lines.w.n, out);
	lines.w.n = lines.start = 0;
}

#define PUT(l, lit) PN_LINE_LIT(&(l)->w, lit)

/* 0x88b5: an ethertype as people write it. */
static void put_hex16(struct line *l, uint16_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[6] = {'0', 'x'};
	for (int i = 0; i < 4; i++)
		tmp[2 + i] = digits[(v >> (12 - 4 * i)) & 0xf];
	pn_line_mem(&l->w, tmp, sizeof tmp);
}

/* ,"sport_class":"system" and the like, by side and port class. */
#define CLASS_JSON(side, class)                                                \
	{                                                                      \
		",\"" side "_class\":\"" class "\"",                           \
		    sizeof(",\"" side "_class\":\"" class "\"") - 1            \
	}
static const struct {
	const char *text;
	size_t len;
} class_json[2][3] = {
    {CLASS_JSON("sport", "system"), CLASS_JSON("sport", "user"),
     CLASS_JSON("sport", "dynamic")},
    {CLASS_JSON("dport", "system"), CLASS_JSON("dport", "user"),
     CLASS_JSON("dport", "dynamic")},
};

/* What the port is registered for: the annotator keeps these members
 * ready for each registry slot, so a port costs two copies. */
static void json_port(struct run *r, struct line *l, int side,
		      enum pn_transport t, uint16_t port)
{
	const struct pn_port_words *w = pn_annotate(r->ann, t, port);
	enum pn_port_class c = pn_port_class(port);
	pn_line_mem(&l->w, class_json[side][c].text, class_json[side][c].len);
	pn_line_mem(&l->w, w->json[side], w->json_len[side]);
}

/* What a packet that decided its flow's verdict adds to its line. */
struct mark {
	bool set;
	enum pn_payload_verdict verdict;
	enum pn_proto looks;
	const char *text;
};

/* The line into l->w from l->start on, within max bytes. */
static void json_line_build(struct run *r, struct line *l,
			    const struct pn_capture_source *src,
			    const struct pcap_pkthdr *h,
			    const struct pn_packet *p, const struct mark *m,
			    size_t max)
{
	char tmp[16];
	l->w.limit = l->start + max - 64; /* room to close it */
	if (l->head_of == src->name) {
		pn_line_mem(&l->w, l->head, l->head_len);
	} else {
		PUT(l, "{\"type\":\"packet\",\"file\":\"");
		pn_line_json(&l->w, src->name);
		PUT(l, "\",\"frame\":");
		size_t len = l->w.n - l->start;
		if (!l->w.cut && len <= sizeof l->head) {
			l->head_len = len;
			memcpy(l->head, l->w.buf + l->start, len);
			l->head_of = src->name;
		}
	}
	pn_line_u64(&l->w, src->frame);
	PUT(l, ",\"time\":\"");
	pn_line_time(&l->w, pn_time_from_timeval(&h->ts));
	PUT(l, "\",\"caplen\":");
	pn_line_u64(&l->w, h->caplen);
	PUT(l, ",\"len\":");
	pn_line_u64(&l->w, h->len);
	PUT(l, ",\"vlan\":[");
	for (unsigned i = 0; i < p->vlan_count && i < PN_VLAN_KEEP; i++) {
		if (i)
			PUT(l, ",");
		pn_line_u64(&l->w, p->vlan[i]);
	}
	PUT(l, "],\"tunnel\":");
	if (p->tunnel == PN_TUNNEL_NONE) {
		PUT(l, "null");
	} else {
		PUT(l, "\"");
		pn_line_str(&l->w, pn_tunnel_name(p->tunnel));
		PUT(l, "\"");
	}
	if (p->pppoe) {
		PUT(l, ",\"pppoe_session\":");
		pn_line_u64(&l->w, p->pppoe_session);
	}
	if (p->mpls_count) {
		PUT(l, ",\"mpls\":[");
		for (unsigned i = 0; i < p->mpls_count && i < PN_MPLS_KEEP;
		     i++) {
			if (i)
				PUT(l, ",");
			pn_line_u64(&l->w, p->mpls_label[i]);
		}
		PUT(l, "]");
	}
	if (p->ip_version) {
		PUT(l, ",\"ip\":");
		pn_line_u64(&l->w, p->ip_version);
		PUT(l, ",\"src\":\"");
		pn_line_addr(&l->w, p->src, p->ip_version);
		PUT(l, "\",\"dst\":\"");
		pn_line_addr(&l->w, p->dst, p->ip_version);
		PUT(l, "\",\"ip_proto\":");
		pn_line_u64(&l->w, p->ip_proto);
		PUT(l, ",\"ip_proto_name\":\"");
		pn_line_str(&l->w, pn_ip_proto_text(p->ip_proto, tmp));
		PUT(l, "\"");
	} else {
		pn_line_str(
		    &l->w,
		    ",\"ip\":null,\"src\":null,\"dst\":null,\"ip_proto\":"
		    "null,\"ip_proto_name\":null");
	}
	PUT(l, ",\"status\":\"");
	pn_line_str(&l->w, pn_decode_status_name(p->status));
	PUT(l, "\",\"reason\":");
	if (p->reason == PN_R_NONE) {
		PUT(l, "null");
	} else {
		PUT(l, "\"");
		pn_line_str(&l->w, pn_decode_reason_name(p->reason));
		PUT(l, "\"");
	}
	if (p->warnings) {
		char w[256];
		pn_decode_warnings_text(p->warnings, "\",\"", w, sizeof w);
		PUT(l, ",\"warnings\":[\"");
		pn_line_str(&l->w, w);
		PUT(l, "\"]");
	} else {
		PUT(l, ",\"warnings\":[]");
	}
	if (p->nonip != PN_NONIP_NONE) {
		PUT(l, ",\"non_ip\":\"");
		pn_line_str(&l->w, pn_decode_nonip_name(p->nonip));
		PUT(l, "\"");
	}
	if (p->reason == PN_R_UNSUPPORTED_ETHERTYPE) {
		PUT(l, ",\"ethertype\":\"");
		put_hex16(l, p->ethertype);
		PUT(l, "\"");
	}
	if (p->l4 == PN_L4_NONE) {
		PUT(l, ",\"transport\":null,\"sport\":null,\"dport\":null");
	} else {
		PUT(l, ",\"transport\":\"");
		pn_line_str(&l->w, transport_text(p));
		PUT(l, "\",\"sport\":");
		pn_line_u64(&l->w, p->sport);
		PUT(l, ",\"dport\":");
		pn_line_u64(&l->w, p->dport);
		if (p->l4 == PN_L4_TCP && !p->has_tcp_flags) {
			PUT(l, ",\"tcp_flags\":null");
		} else if (p->l4 == PN_L4_TCP) {
			char f[12];
			PUT(l, ",\"tcp_flags\":\"");
			pn_line_str(&l->w, pn_tcp_flags_text(p->tcp_flags, f));
			PUT(l, "\"");
		} else if (p->l4 == PN_L4_SCTP && p->has_sctp_chunk) {
			PUT(l, ",\"sctp_chunk\":");
			pn_line_u64(&l->w, p->sctp_chunk);
		} else if (p->l4 == PN_L4_DCCP && !p->has_dccp_type) {
			PUT(l, ",\"dccp_type\":null");
		} else if (p->l4 == PN_L4_DCCP) {
			PUT(l, ",\"dccp_type\":\"");
			pn_line_str(&l->w, dccp_type_name(p->dccp_type));
			PUT(l, "\"");
			if (p->has_service_code) {
				char code[12];
				PUT(l, ",\"service_code\":\"");
				pn_line_json(&l->w, pn_service_code_text(
							p->service_code, code));
				PUT(l, "\",\"service_code_value\":");
				pn_line_u64(&l->w, p->service_code);
			}
		}
		json_port(r, l, 0, (enum pn_transport)p->l4, p->sport);
		json_port(r, l, 1, (enum pn_transport)p->l4, p->dport);
	}
	if (m->set) {
		PUT(l, ",\"flow_verdict\":\"");
		pn_line_str(&l->w, pn_payload_verdict_name(m->verdict));
		PUT(l, "\",\"flow_looks_like\":");
		if (m->looks == PN_P_NONE) {
			PUT(l, "null");
		} else {
			PUT(l, "\"");
			pn_line_str(&l->w, pn_proto_name(m->looks));
			PUT(l, "\"");
		}
		/* The words come from the wire: escaped as text, then for
		 * JSON, as in flows. */
		PUT(l, ",\"flow_evidence\":\"");
		pn_line_json(&l->w, pn_safe(m->text));
		PUT(l, "\"");
	}
	l->w.limit = l->start + max;
	PUT(l, "}\n");
}

static void json_line(struct run *r, const struct pn_capture_source *src,
		      const struct pcap_pkthdr *h, const struct pn_packet *p,
		      const struct mark *m)
{
	struct line *l = &lines;
	l->w.buf = l->buf;
	l->start = l->w.n;
	json_line_build(r, l, src, h, p, m, LINE_MAX_BYTES);
	if (l->w.cut) {
		/* Only a --registry with hundreds of services on one port
		 * makes such a line: it is dropped, the lines before it
		 * written, and it is built again on the heap, as large as it
		 * takes. */
		l->w.n = l->start;
		flush_lines(r->out);
		for (size_t size = 4 * LINE_MAX_BYTES; l->w.cut; size *= 4) {
			pn_line_alloc(&l->w, size);
			l->start = 0;
			json_line_build(r, l, src, h, p, m, size);
			if (!l->w.cut)
				pn_out_write(l->w.buf, l->w.n, r->out);
			free(l->w.buf);
		}
		l->w = (struct pn_line){l->buf, 0, 0, false};
		l->start = 0;
		return;
	}
	if (r->live || l->w.n > sizeof l->buf - LINE_MAX_BYTES)
		flush_lines(r->out);
}

static const char *const csv_header[] = {"file",
					 "frame",
					 "time",
					 "caplen",
					 "len",
					 "vlan",
					 "tunnel",
					 "ip",
					 "src",
					 "dst",
					 "ip_proto",
					 "status",
					 "reason",
					 "warnings",
					 "transport",
					 "sport",
					 "dport",
					 "tcp_flags",
					 "sctp_chunk",
					 "dccp_type",
					 "service_code",
					 "sport_class",
					 "sport_status",
					 "sport_services",
					 "sport_flags",
					 "dport_class",
					 "dport_status",
					 "dport_services",
					 "dport_flags",
					 "non_ip",
					 "ethertype",
					 "pppoe_session",
					 "mpls",
					 "flow_verdict",
					 "flow_looks_like",
					 "flow_evidence"};
#define CSV_COLUMNS ((int)(sizeof csv_header / sizeof csv_header[0]))

static void csv_line(struct run *r, const struct pn_capture_source *src,
		     const struct pcap_pkthdr *h, const struct pn_packet *p,
		     const struct mark *m)
{
	char frame[24], t[PN_TIME_TEXT_SIZE], caplen[12], len[12],
	    vlan[16] = "", ip[4] = "", sa[INET6_ADDRSTRLEN] = "",
	    da[INET6_ADDRSTRLEN] = "", proto[4] = "", sport[8] = "",
	    dport[8] = "", flags[12] = "", chunk[4] = "", code[12] = "",
	    warnings[256], ethertype[8] = "", session[8] = "", mpls[24] = "";
	const char *row[CSV_COLUMNS] = {0};
	snprintf(frame, sizeof frame, "%llu", (unsigned long long)src->frame);
	snprintf(caplen, sizeof caplen, "%u", h->caplen);
	snprintf(len, sizeof len, "%u", h->len);
	if (p->vlan_count)
		snprintf(vlan, sizeof vlan, p->vlan_count > 1 ? "%u;%u" : "%u",
			 p->vlan[0], p->vlan[1]);
	if (p->ip_version) {
		snprintf(ip, sizeof ip, "%u", p->ip_version);
		addr_text(p, p->src, sa);
		addr_text(p, p->dst, da);
		snprintf(proto, sizeof proto, "%u", p->ip_proto);
	}
	row[0] = src->name;
	row[1] = frame;
	time_text(h, t);
	row[2] = t;
	row[3] = caplen;
	row[4] = len;
	row[5] = vlan;
	row[6] = p->tunnel == PN_TUNNEL_NONE ? "" : pn_tunnel_name(p->tunnel);
	row[7] = ip;
	row[8] = sa;
	row[9] = da;
	row[10] = proto;
	row[11] = pn_decode_status_name(p->status);
	row[12] =
	    p->reason == PN_R_NONE ? "" : pn_decode_reason_name(p->reason);
	pn_decode_warnings_text(p->warnings, ";", warnings, sizeof warnings);
	row[13] = warnings;
	if (p->l4 != PN_L4_NONE) {
		enum pn_transport tr = (enum pn_transport)p->l4;
		const struct pn_port_words *ws =
		    pn_annotate(r->ann, tr, p->sport);
		const struct pn_port_words *wd =
		    pn_annotate(r->ann, tr, p->dport);
		snprintf(sport, sizeof sport, "%u", p->sport);
		snprintf(dport, sizeof dport, "%u", p->dport);
		if (p->l4 == PN_L4_TCP && p->has_tcp_flags)
			pn_tcp_flags_text(p->tcp_flags, flags);
		if (p->l4 == PN_L4_SCTP && p->has_sctp_chunk)
			snprintf(chunk, sizeof chunk, "%u", p->sctp_chunk);
		if (p->has_service_code)
			pn_service_code_text(p->service_code, code);
		row[14] = transport_text(p);
		row[15] = sport;
		row[16] = dport;
		row[17] = flags;
		row[18] = chunk;
		row[19] = p->l4 == PN_L4_DCCP && p->has_dccp_type
			      ? dccp_type_name(p->dccp_type)
			      : "";
		row[20] = code;
		row[21] = pn_port_class_name(pn_port_class(p->sport));
		row[22] = ws->status;
		row[23] = ws->names_csv;
		row[24] = ws->flags_csv;
		row[25] = pn_port_class_name(pn_port_class(p->dport));
		row[26] = wd->status;
		row[27] = wd->names_csv;
		row[28] = wd->flags_csv;
	}
	row[29] =
	    p->nonip == PN_NONIP_NONE ? "" : pn_decode_nonip_name(p->nonip);
	if (p->reason == PN_R_UNSUPPORTED_ETHERTYPE)
		snprintf(ethertype, sizeof ethertype, "0x%04x", p->ethertype);
	row[30] = ethertype;
	if (p->pppoe)
		snprintf(session, sizeof session, "%u", p->pppoe_session);
	row[31] = session;
	if (p->mpls_count)
		snprintf(mpls, sizeof mpls, p->mpls_count > 1 ? "%u;%u" : "%u",
			 p->mpls_label[0], p->mpls_label[1]);
	row[32] = mpls;
	row[33] = m->set ? pn_payload_verdict_name(m->verdict) : "";
	row[34] =
	    m->set && m->looks != PN_P_NONE ? pn_proto_name(m->looks) : "";
	row[35] = m->set ? m->text : "";
	pn_out_csv_row(r->out, row, CSV_COLUMNS);
}

/* The header goes out with the first input that opens: a run that can
 * read none prints nothing on standard output. */
static void print_header(struct run *r)
{
	if (r->cli->format == PN_FORMAT_TEXT)
		fprintf(r->out,
			"# portnote packets: ports as registered in the IANA "
			"registry snapshot %s (%s); a registered port does "
			"not prove what the traffic is\n",
			pn_registry_date_text(r->cli->reg),
			pn_safe(pn_registry_origin(r->cli->reg)));
	if (r->cli->format == PN_FORMAT_CSV)
		pn_out_csv_row(r->out, csv_header, CSV_COLUMNS);
}

static void on_open(void *ctx, const struct pn_capture_source *src)
{
	struct run *r = ctx;
	if (!r->header_done) {
		if (!r->capture_out)
			print_header(r);
		r->header_done = true;
	}
	if (r->cli->format == PN_FORMAT_TEXT && r->several_files &&
	    !r->capture_out)
		fprintf(r->out, "# %s (%s)\n", pn_safe(src->name),
			pn_decode_linktype_name(src->linktype));
	if (src->live && r->write_path && !r->pcapng && !r->write_open_failed)
		r->write_open_failed = !open_write(r);
	if (r->pcapng)
		r->interface =
		    pn_pcapng_interface(r->pcapng, src->linktype,
					(uint32_t)src->snaplen, src->name);
}

static bool on_packet(void *ctx, const struct pn_capture_source *src,
		      const struct pcap_pkthdr *h, const uint8_t *bytes,
		      const struct pn_packet *p)
{
	struct run *r = ctx;
	char text[2048], verdict[512];
	if (r->write_open_failed)
		return false;
	struct mark m = {false, PN_V_NO_PAYLOAD, PN_P_NONE, verdict};
	m.set = verdict_mark(r, h, bytes, p, &m.verdict, &m.looks, verdict,
			     sizeof verdict);
	bool need_text = r->cli->format == PN_FORMAT_TEXT || r->pcapng;
	if (need_text) {
		size_t n = describe(r, p, h, text, sizeof text);
		if (m.set)
			append(text, sizeof text, n, "; flow verdict: %s",
			       verdict);
	}
	switch (r->capture_out ? (enum pn_format) - 1 : r->cli->format) {
	case PN_FORMAT_TEXT: {
		char t[PN_TIME_TEXT_SIZE];
		time_text(h, t);
		fprintf(r->out, "%s #%llu %s\n", t,
			(unsigned long long)src->frame, text);
		break;
	}
	case PN_FORMAT_JSON:
		json_line(r, src, h, p, &m);
		break;
	case PN_FORMAT_CSV:
		csv_line(r, src, h, p, &m);
		break;
	default:
		break;
	}
	if (r->pcapng &&
	    pn_pcapng_packet(r->pcapng, r->interface, h, bytes, text) != 0)
		return false; /* pn_pcapng_close reports the error */
	/* A lost write to standard output (a full disk, a reader gone) ends
	 * the run after this packet, which -w still holds: what follows
	 * would be lost too. */
	return !pn_out_failed(r->out);
}

enum { OPT_NO_EVIDENCE = PN_OPT_FIRST_OWN };

struct own_options {
	struct pn_cli_capture capture;
	const char *write_path;
	bool no_evidence;
};

/* -w onto one of the inputs would destroy it: refused, before anything is
 * read or written. Files are compared by device and inode, so another name
 * for the same file is caught too; "-" as an input is standard input. A
 * -w file that does not exist yet is no input. */
static int check_write_not_input(const struct own_options *o)
{
	if (!o->write_path)
		return 0;
	const struct pn_capture_options *c = &o->capture.opts;
	const char *input =
	    pn_outfile_input(o->write_path, c->files, c->n_files);
	if (!input)
		return 0;
	fprintf(stderr,
		"portnote packets: -w %s: is also an input (-r %s); refusing "
		"to overwrite it\n",
		o->write_path, input);
	return PN_EXIT_USAGE;
}

static int take_option(struct pn_cli *cli, int opt, const char *arg, void *ctx)
{
	struct own_options *o = ctx;
	if (opt == 'w') {
		o->write_path = arg;
		return 0;
	}
	if (opt == OPT_NO_EVIDENCE) {
		o->no_evidence = true;
		return 0;
	}
	int rc = pn_cli_capture_option(cli, &o->capture, opt, arg);
	if (rc < 0)
		return PN_EXIT_USAGE;
	return rc == 1 ? 0 : pn_cli_usage_error(cli, "unhandled option");
}

int pn_cmd_packets(int argc, char **argv)
{
	static const struct option longopts[] = {
	    PN_CAPTURE_LONGOPTS,
	    {"write", required_argument, NULL, 'w'},
	    {"no-evidence", no_argument, NULL, OPT_NO_EVIDENCE},
	    {NULL, 0, NULL, 0}};
	struct own_options own = {0};
	pn_cli_capture_init(&own.capture);
	const struct pn_cli_options opts = {
	    longopts, PN_CAPTURE_SHORTOPTS "w:", take_option, &own};
	struct pn_cli cli = {.command = "packets"};
	int rc = pn_cli_parse(&cli, argc, argv, usage, &opts);
	if (rc < 0)
		rc = pn_cli_capture_operands(&cli, &own.capture, argc, argv);
	bool capture_out = own.write_path && strcmp(own.write_path, "-") == 0;
	if (rc < 0 && capture_out && cli.format != PN_FORMAT_TEXT)
		rc = pn_cli_usage_error(&cli, "with -w -, standard output is "
					      "the capture (annotated in its "
					      "comments): --format does not "
					      "apply");
	if (rc < 0 && capture_out && isatty(STDOUT_FILENO))
		rc = pn_cli_usage_error(&cli, "-w -: standard output is a "
					      "terminal; redirect it to a file "
					      "or a pipe (| tshark -r -)");
	if (rc < 0) {
		int bad = pn_cli_capture_check(&cli, &own.capture);
		if (bad)
			rc = bad;
	}
	if (rc < 0) {
		int bad = check_write_not_input(&own);
		if (bad)
			rc = bad;
	}
	if (rc >= 0) {
		pn_cli_capture_release(&own.capture);
		return rc;
	}
	if (!pn_capture_check_filter(&own.capture.opts, "portnote packets",
				     stderr)) {
		pn_cli_capture_release(&own.capture);
		return PN_EXIT_USAGE;
	}
	if ((rc = pn_cli_load_registry(&cli)) ||
	    (rc = pn_cli_load_declarations(&cli))) {
		pn_cli_capture_release(&own.capture);
		pn_cli_release(&cli);
		return rc;
	}

	static char outbuf[1 << 16];
	/* Live output goes out line by line, for whatever reads it. */
	setvbuf(stdout, outbuf, own.capture.opts.iface ? _IOLBF : _IOFBF,
		sizeof outbuf);
	struct run r = {.cli = &cli,
			.out = stdout,
			.several_files = own.capture.opts.n_files > 1};
	r.ann = pn_annotator_create(cli.reg);
	pn_annotator_declare(r.ann, cli.decl);
	if (!own.no_evidence) {
		struct pn_flow_config fcfg;
		pn_flow_config_init(&fcfg);
		fcfg.keep_tokens = true;
		r.table = pn_flow_table_create(&fcfg, cli.reg, NULL, NULL);
		if (!r.table) {
			fputs("portnote packets: out of memory\n", stderr);
			exit(70);
		}
	}
	r.write_path = own.write_path;
	r.capture_out = capture_out;
	if (own.write_path && !own.capture.opts.iface) {
		if (!open_write(&r)) {
			pn_flow_table_destroy(r.table);
			pn_annotator_destroy(r.ann);
			pn_cli_release(&cli);
			pn_cli_capture_release(&own.capture);
			return PN_EXIT_FAIL;
		}
	}
	struct pn_capture_stats stats;
	r.live = own.capture.opts.iface != NULL;
	own.capture.opts.progress = pn_cli_progress(&cli, false);
	enum pn_capture_result result =
	    pn_capture_run(&own.capture.opts, on_packet, on_open, &r, &stats,
			   "portnote packets", stderr);
	flush_lines(r.out);
	/* No input could be read: the messages said why, and there is no
	 * report to give. */
	bool none_read = stats.sources_read == 0;
	if (result != PN_CAPTURE_USAGE && !none_read) {
		if (cli.format == PN_FORMAT_JSON && !r.capture_out)
			pn_stats_summary_json(r.out, &stats);
	}
	bool lost =
	    pn_out_flush(r.out, PN_STDOUT_NAME, "portnote packets") != 0;
	if (result != PN_CAPTURE_USAGE && !none_read)
		pn_stats_summary_text(stderr, "portnote packets", &stats);
	rc = result == PN_CAPTURE_USAGE			      ? PN_EXIT_USAGE
	     : result == PN_CAPTURE_OK && !none_read && !lost ? PN_EXIT_OK
							      : PN_EXIT_FAIL;
	if (r.write_open_failed)
		rc = PN_EXIT_FAIL;
	if (r.pcapng) {
		/* The file is put in place only when what it holds is all
		 * that was read; otherwise a previous file of that name is
		 * left as it was. */
		char err[256];
		if (result == PN_CAPTURE_USAGE || result == PN_CAPTURE_FATAL ||
		    none_read) {
			pn_pcapng_discard(r.pcapng);
			fprintf(stderr,
				"portnote packets: -w %s: not written\n",
				own.write_path);
		} else if (pn_pcapng_close(r.pcapng, err) != 0) {
			/* A failed write stopped the run; close reports it. */
			fprintf(stderr,
				"portnote packets: -w %s: %s; not written\n",
				own.write_path, err);
			rc = PN_EXIT_FAIL;
		}
	}
	pn_flow_table_destroy(r.table);
	pn_annotator_destroy(r.ann);
	pn_cli_release(&cli);
	pn_cli_capture_release(&own.capture);
	return rc;
}
