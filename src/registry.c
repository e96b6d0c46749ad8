/* registry.c — names, lookups and small renderings over a loaded registry. */
#include "portnote/registry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const transport_names[] = {"tcp", "udp", "sctp", "dccp", ""};

const char *pn_transport_name(enum pn_transport t)
{
	return (unsigned)t <= PN_TRANSPORT_NONE ? transport_names[t] : "?";
}

int pn_transport_parse(const char *s)
{
	for (int t = 0; t < PN_TRANSPORT_COUNT; t++)
		if (strcasecmp(s, transport_names[t]) == 0)
			return t;
	return -1;
}

const char *pn_port_class_name(enum pn_port_class c)
{
	switch (c) {
	case PN_CLASS_SYSTEM:
		return "system";
	case PN_CLASS_USER:
		return "user";
	case PN_CLASS_DYNAMIC:
		return "dynamic";
	}
	return "?";
}

const char *pn_kind_name(enum pn_kind k)
{
	switch (k) {
	case PN_KIND_SERVICE:
		return "service";
	case PN_KIND_UNNAMED:
		return "unnamed";
	case PN_KIND_RESERVED:
		return "reserved";
	case PN_KIND_UNASSIGNED:
		return "unassigned";
	}
	return "?";
}

const char *pn_service_code_text(uint32_t code, char buf[12])
{
	/* RFC 4340 section 19.8: codes are usually four ASCII characters
	 * packed big-endian, and the registry writes them in decimal. */
	unsigned char c[4] = {code >> 24, code >> 16, code >> 8, code};
	bool printable = true;
	for (int i = 0; i < 4; i++)
		if (c[i] < 0x20 || c[i] > 0x7e)
			printable = false;
	if (printable)
		memcpy(buf, c, 4), buf[4] = '\0';
	else
		snprintf(buf, 12, "%lu", (unsigned long)code);
	return buf;
}

/* Reads the ports an unauthorized-use text names: "port 6003", "ports 5151
 * and 5152", "ports 2194-2196", "on 7011". Digits inside [brackets] are
 * references and digits glued to letters are names (krb524), so neither
 * counts. Returns the number of ranges stored. */
static int unauthorized_ports(const char *text, uint32_t lo[], uint32_t hi[],
			      int max)
{
	int n = 0, depth = 0;
	for (const char *s = text; *s && n < max;) {
		if (*s == '[' || *s == ']') {
			depth += *s == '[' ? 1 : (depth > 0 ? -1 : 0);
			s++;
			continue;
		}
		bool glued = s > text && isalnum((unsigned char)s[-1]);
		if (!isdigit((unsigned char)*s) || glued || depth) {
			s++;
			continue;
		}
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (*end == '-' && isdigit((unsigned char)end[1]))
			b = strtoul(end + 1, &end, 10);
		if (!isalpha((unsigned char)*end) && a <= b && b <= 65535) {
			lo[n] = (uint32_t)a;
			hi[n] = (uint32_t)b;
			n++;
		}
		s = end;
	}
	return n;
}

bool pn_entry_names_unauthorized_port(const struct pn_registry *reg,
				      const struct pn_entry *e)
{
	uint32_t lo[16], hi[16];
	int n = unauthorized_ports(pn_registry_str(reg, e->unauthorized), lo,
				   hi, 16);
	for (int i = 0; i < n; i++)
		if (lo[i] <= e->port_hi && hi[i] >= e->port_lo)
			return true;
	return false;
}

bool pn_entry_unauthorized_at(const struct pn_registry *reg,
			      const struct pn_entry *e, uint16_t port)
{
	if (!(e->flags & PN_E_UNAUTHORIZED))
		return false;
	if (!(e->flags & PN_E_UNAUTHORIZED_PARTIAL))
		return true;
	uint32_t lo[16], hi[16];
	int n = unauthorized_ports(pn_registry_str(reg, e->unauthorized), lo,
				   hi, 16);
	for (int i = 0; i < n; i++)
		if (port >= lo[i] && port <= hi[i])
			return true;
	return false;
}

long pn_registry_find_name(const struct pn_registry *reg, const char *name,
			   uint32_t from)
{
	for (uint32_t i = from; i < reg->n_entries; i++)
		if (reg->entries[i].kind == PN_KIND_SERVICE &&
		    strcasecmp(pn_registry_str(reg, reg->entries[i].name),
			       name) == 0)
			return (long)i;
	return -1;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

const char *pn_registry_date_text(const struct pn_registry *reg)
{
	return reg->date[0] ? reg->date : "undated";
}

const char *pn_registry_origin(const struct pn_registry *reg)
{
	return reg->owned ? reg->source : "built in";
}

long pn_registry_age_days(const struct pn_registry *reg, long long now)
{
	unsigned y, m, d = 1;
	if (sscanf(reg->date, "%4u-%2u-%2u", &y, &m, &d) < 2 || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return -1;
	return (long)(now / 86400) - days_from_civil((long)y, m, d);
}
