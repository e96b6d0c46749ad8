/* summary.c — run summaries of the decode counters. */
#include "portnote/summary.h"

#include "portnote/output.h"

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

const char *pn_ip_proto_text(uint8_t proto, char buf[16])
{
	const char *name = pn_ip_proto_name(proto);
	if (name)
		return name;
	snprintf(buf, 16, "ip-proto-%u", proto);
	return buf;
}

static void proto_text(FILE *out, uint8_t proto)
{
	char buf[16];
	fputs(pn_ip_proto_text(proto, buf), out);
}

/* unsupported-ethertype by value: "unsupported-ethertype 0x88b5 3", and
 * the values past the counters' table together as "other". */
static void ethertypes_text(FILE *out, const struct pn_decode_counters *c,
			    const char **sep)
{
	const char *name = pn_decode_reason_name(PN_R_UNSUPPORTED_ETHERTYPE);
	for (int i = 0; i < PN_ETHERTYPE_KEEP && c->ethertype_count[i]; i++) {
		fprintf(out, "%s%s 0x%04x %llu", *sep, name,
			c->ethertype_value[i],
			(unsigned long long)c->ethertype_count[i]);
		*sep = ", ";
	}
	if (c->ethertype_other) {
		fprintf(out, "%s%s other %llu", *sep, name,
			(unsigned long long)c->ethertype_other);
		*sep = ", ";
	}
}

void pn_stats_summary_text(FILE *out, const char *who,
			   const struct pn_capture_stats *s)
{
	const struct pn_decode_counters *c = &s->decode;
	uint64_t with_ports = c->packets - c->l4[PN_L4_NONE];
	fprintf(out, "%s: %llu packet%s", who, (unsigned long long)c->packets,
		c->packets == 1 ? "" : "s");
	/* Inputs read (to the end or to damage) out of those given; the
	 * rest could not be opened or have an unsupported link type. */
	int total = s->sources_ok + s->sources_failed;
	int unread = total - s->sources_read;
	int damaged = s->sources_failed - unread;
	if (total > 1 || s->sources_failed) {
		if (unread)
			fprintf(out, " from %d of %d input%s", s->sources_read,
				total, total == 1 ? "" : "s");
		else
			fprintf(out, " from %d input%s", total,
				total == 1 ? "" : "s");
		if (unread && damaged)
			fprintf(out, " (%d could not be read, %d damaged)",
				unread, damaged);
		else if (unread)
			fprintf(out, " (%d could not be read)", unread);
		else if (damaged)
			fprintf(out, " (%d damaged)", damaged);
	}
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
	uint64_t nonip = 0;
	for (int k = 1; k < PN_NONIP_COUNT; k++)
		nonip += c->nonip[k];
	if (nonip) {
		fprintf(out, "; %llu non-IP", (unsigned long long)nonip);
		sep = " (";
		for (int k = 1; k < PN_NONIP_COUNT; k++)
			if (c->nonip[k]) {
				fprintf(out, "%s%s %llu", sep,
					pn_decode_nonip_name(k),
					(unsigned long long)c->nonip[k]);
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
		for (int r = 1; r < PN_R_COUNT; r++) {
			if (!c->reason[r] || r == PN_R_IPV4_FRAGMENT ||
			    r == PN_R_IPV6_FRAGMENT)
				continue;
			if (r == PN_R_UNSUPPORTED_ETHERTYPE) {
				ethertypes_text(out, c, &sep);
				continue;
			}
			fprintf(out, "%s%s %llu", sep, pn_decode_reason_name(r),
				(unsigned long long)c->reason[r]);
			sep = ", ";
		}
		if (*sep == ',')
			fputc(')', out);
	}
	if (c->warned) {
		fprintf(out, "; %llu decoded with warnings",
			(unsigned long long)c->warned);
		sep = " (";
		for (int w = 0; w < PN_W_COUNT; w++)
			if (c->warning[w]) {
				fprintf(out, "%s%s %llu", sep,
					pn_decode_warning_name(w),
					(unsigned long long)c->warning[w]);
				sep = ", ";
			}
		fputc(')', out);
	}
	if (s->time_steps_back)
		fprintf(out,
			"; capture time stepped back %llu time%s (by up to "
			"%.6f s)",
			(unsigned long long)s->time_steps_back,
			s->time_steps_back == 1 ? "" : "s",
			(double)s->time_step_back_max_us / 1e6);
	if (s->interrupted)
		fputs("; interrupted", out);
	fputc('\n', out);
	pn_time_note(out, who);
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
	fputs("},\"non_ip\":{", out);
	sep = "";
	for (int k = 1; k < PN_NONIP_COUNT; k++)
		if (c->nonip[k]) {
			fprintf(out, "%s\"%s\":%llu", sep,
				pn_decode_nonip_name(k),
				(unsigned long long)c->nonip[k]);
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
	fputs("},\"unsupported_ethertypes\":{", out);
	sep = "";
	for (int i = 0; i < PN_ETHERTYPE_KEEP && c->ethertype_count[i]; i++) {
		fprintf(out, "%s\"0x%04x\":%llu", sep, c->ethertype_value[i],
			(unsigned long long)c->ethertype_count[i]);
		sep = ",";
	}
	if (c->ethertype_other)
		fprintf(out, "%s\"other\":%llu", sep,
			(unsigned long long)c->ethertype_other);
	fputs("}", out);
	fprintf(out, ",\"warned\":%llu,\"warnings\":{",
		(unsigned long long)c->warned);
	sep = "";
	for (int w = 0; w < PN_W_COUNT; w++)
		if (c->warning[w]) {
			fprintf(out, "%s\"%s\":%llu", sep,
				pn_decode_warning_name(w),
				(unsigned long long)c->warning[w]);
			sep = ",";
		}
	fprintf(out,
		"},\"time_steps_back\":%llu,\"time_step_back_max_us\":%lld",
		(unsigned long long)s->time_steps_back,
		(long long)s->time_step_back_max_us);
	fputs(",\"pcap\":", out);
	if (s->have_pcap_stats)
		fprintf(out,
			"{\"received\":%u,\"dropped\":%u,\"ifdropped\":%u}",
			s->pcap.ps_recv, s->pcap.ps_drop, s->pcap.ps_ifdrop);
	else
		fputs("null", out);
	fputs("}\n", out);
}

void pn_flow_summary_text(FILE *out, const char *who,
			  const struct pn_flow_counters *fc,
			  unsigned long max_flows)
{
	fprintf(out,
		"%s: %llu flows (peak %llu at once): ended by fin %llu, rst "
		"%llu, idle %llu, evicted by --max-flows %llu, open at the "
		"end %llu\n",
		who, (unsigned long long)fc->created,
		(unsigned long long)fc->peak,
		(unsigned long long)fc->ended[PN_END_FIN],
		(unsigned long long)fc->ended[PN_END_RST],
		(unsigned long long)fc->ended[PN_END_IDLE],
		(unsigned long long)fc->ended[PN_END_EVICTED],
		(unsigned long long)fc->ended[PN_END_INPUT]);
	if (fc->ended[PN_END_EVICTED])
		fprintf(out,
			"%s: warning: --max-flows %lu was reached; raise it to "
			"keep flows whole\n",
			who, max_flows);
}
