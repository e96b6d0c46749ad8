/* stats.c — run summaries of the decode counters. */
#include "portnote/stats.h"

const char *pn_ip_proto_name(uint8_t proto)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 2:
		return "igmp";
	case 4:
		return "ipip";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 41:
		return "ipv6";
	case 47:
		return "gre";
	case 50:
		return "esp";
	case 51:
		return "ah";
	case 58:
		return "icmp6";
	case 59:
		return "ipv6-nonxt";
	case 89:
		return "ospf";
	case 103:
		return "pim";
	case 112:
		return "vrrp";
	case 132:
		return "sctp";
	case 33:
		return "dccp";
	case 136:
		return "udplite";
	}
	return NULL;
}

static void proto_text(FILE *out, uint8_t proto)
{
	const char *name = pn_ip_proto_name(proto);
	if (name)
		fputs(name, out);
	else
		fprintf(out, "ip-proto-%u", proto);
}

void pn_stats_summary_text(FILE *out, const char *who,
			   const struct pn_capture_stats *s)
{
	const struct pn_decode_counters *c = &s->decode;
	uint64_t with_ports = c->packets - c->l4[PN_L4_NONE];
	fprintf(out, "%s: %llu packets", who, (unsigned long long)c->packets);
	if (s->sources_ok + s->sources_failed > 1 || s->sources_failed)
		fprintf(out, " from %d of %d sources", s->sources_ok,
			s->sources_ok + s->sources_failed);
	fprintf(out, ": %llu with ports", (unsigned long long)with_ports);
	const char *sep = " (";
	for (int t = 0; t < PN_L4_NONE; t++)
		if (c->l4[t]) {
			fprintf(out, "%s%s %llu", sep, pn_l4_name(t),
				(unsigned long long)c->l4[t]);
			sep = ", ";
		}
	if (*sep == ',')
		fputc(')', out);

	uint64_t portless = 0;
	for (int p = 0; p < 256; p++)
		portless += c->portless[p];
	if (portless) {
		fprintf(out, "; %llu without ports",
			(unsigned long long)portless);
		sep = " (";
		for (int p = 0; p < 256; p++)
			if (c->portless[p]) {
				fputs(sep, out);
				proto_text(out, (uint8_t)p);
				fprintf(out, " %llu",
					(unsigned long long)c->portless[p]);
				sep = ", ";
			}
		fputc(')', out);
	}
	if (c->status[PN_FRAGMENT])
		fprintf(out, "; %llu later fragments, no ports",
			(unsigned long long)c->status[PN_FRAGMENT]);
	uint64_t undecoded = c->status[PN_TRUNCATED] + c->status[PN_MALFORMED] +
			     c->status[PN_UNSUPPORTED];
	if (undecoded) {
		fprintf(out, "; %llu not decoded",
			(unsigned long long)undecoded);
		sep = " (";
		for (int r = 1; r < PN_R_COUNT; r++)
			if (c->reason[r] && r != PN_R_IPV4_FRAGMENT &&
			    r != PN_R_IPV6_FRAGMENT) {
				fprintf(out, "%s%s %llu", sep,
					pn_decode_reason_name(r),
					(unsigned long long)c->reason[r]);
				sep = ", ";
			}
		if (*sep == ',')
			fputc(')', out);
	}
	if (s->interrupted)
		fputs("; interrupted", out);
	fputc('\n', out);
	if (s->have_pcap_stats)
		fprintf(out,
			"%s: libpcap: %u received, %u dropped for lack of "
			"buffer space, %u dropped by the interface\n",
			who, s->pcap.ps_recv, s->pcap.ps_drop,
			s->pcap.ps_ifdrop);
}

void pn_stats_summary_json(FILE *out, const struct pn_capture_stats *s)
{
	const struct pn_decode_counters *c = &s->decode;
	fprintf(out,
		"{\"type\":\"summary\",\"packets\":%llu,\"bytes\":%llu,"
		"\"sources_ok\":%d,\"sources_failed\":%d,\"interrupted\":%s,"
		"\"status\":{",
		(unsigned long long)c->packets, (unsigned long long)s->bytes,
		s->sources_ok, s->sources_failed,
		s->interrupted ? "true" : "false");
	for (int i = 0; i < PN_STATUS_COUNT; i++)
		fprintf(out, "%s\"%s\":%llu", i ? "," : "",
			pn_decode_status_name(i),
			(unsigned long long)c->status[i]);
	fputs("},\"transports\":{", out);
	for (int t = 0; t <= PN_L4_NONE; t++)
		fprintf(out, "%s\"%s\":%llu", t ? "," : "", pn_l4_name(t),
			(unsigned long long)c->l4[t]);
	fputs("},\"without_ports\":{", out);
	const char *sep = "";
	for (int p = 0; p < 256; p++)
		if (c->portless[p]) {
			fprintf(out, "%s\"", sep);
			proto_text(out, (uint8_t)p);
			fprintf(out, "\":%llu",
				(unsigned long long)c->portless[p]);
			sep = ",";
		}
	fputs("},\"anomalies\":{", out);
	sep = "";
	for (int r = 1; r < PN_R_COUNT; r++)
		if (c->reason[r] && r != PN_R_IPV4_FRAGMENT &&
		    r != PN_R_IPV6_FRAGMENT) {
			fprintf(out, "%s\"%s\":%llu", sep,
				pn_decode_reason_name(r),
				(unsigned long long)c->reason[r]);
			sep = ",";
		}
	fputs("},\"pcap\":", out);
	if (s->have_pcap_stats)
		fprintf(out,
			"{\"received\":%u,\"dropped\":%u,\"ifdropped\":%u}",
			s->pcap.ps_recv, s->pcap.ps_drop, s->pcap.ps_ifdrop);
	else
		fputs("null", out);
	fputs("}\n", out);
}
