/* cmd_interfaces.c — "portnote interfaces": the capture devices libpcap
 * can open, for -i. */
#include "portnote/cli.h"
#include "portnote/commands.h"

#include <arpa/inet.h>
#include <string.h>

static const char usage[] =
    "usage: portnote interfaces [--format text|json|csv]\n"
    "\n"
    "Lists the devices libpcap can capture from, with their state and\n"
    "addresses. Capturing usually needs root or CAP_NET_RAW. In CSV the\n"
    "flags and the addresses are lists joined with ';', in JSON arrays.\n"
    "\n"
    "options:\n"
    "  --format FMT      text (default), json or csv\n"
    "  --quiet           accepted as by every command (this one has no "
    "notices)\n"
    "  -h, --help        show this help\n";

/* The device's flags, joined with sep. */
static void flags_text(bpf_u_int32 f, char sep, char *buf, size_t size)
{
	const char *const names[] = {
	    f & PCAP_IF_UP ? "up" : "down",
	    f & PCAP_IF_RUNNING ? "running" : NULL,
	    f & PCAP_IF_LOOPBACK ? "loopback" : NULL,
	    f & PCAP_IF_WIRELESS ? "wireless" : NULL,
	    (f & PCAP_IF_CONNECTION_STATUS) ==
		    PCAP_IF_CONNECTION_STATUS_DISCONNECTED
		? "disconnected"
		: NULL,
	};
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i])
			n += (size_t)snprintf(buf + n, size - n, "%s%s",
					      n ? (char[]){sep, 0} : "",
					      names[i]);
}

/* The device's IPv4 and IPv6 addresses, joined with sep. */
static void addresses_text(const pcap_if_t *d, char sep, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (const pcap_addr_t *a = d->addresses; a; a = a->next) {
		char text[INET6_ADDRSTRLEN];
		const struct sockaddr *sa = a->addr;
		if (!sa)
			continue;
		if (sa->sa_family == AF_INET)
			inet_ntop(
			    AF_INET,
			    &((const struct sockaddr_in *)(const void *)sa)
				 ->sin_addr,
			    text, sizeof text);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(
			    AF_INET6,
			    &((const struct sockaddr_in6 *)(const void *)sa)
				 ->sin6_addr,
			    text, sizeof text);
		else
			continue;
		int w = snprintf(buf + n, size - n, "%s%s",
				 n ? (char[]){sep, 0} : "", text);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
}

static json_t *split_list(const char *joined)
{
	json_t *a = json_array();
	for (const char *p = joined; *p;) {
		size_t n = strcspn(p, ";");
		json_array_append_new(a, json_stringn(p, n));
		p += n + (p[n] == ';');
	}
	return a;
}

int pn_cmd_interfaces(int argc, char **argv)
{
	struct pn_cli cli = {.command = "interfaces"};
	int rc = pn_cli_parse(&cli, argc, argv, usage, NULL);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return pn_cli_usage_error(&cli, "unexpected argument '%s'",
					  argv[optind]);
	if (cli.registry_path || cli.lenient)
		return pn_cli_usage_error(&cli,
					  "%s does not apply: interfaces "
					  "does not read the registry",
					  cli.registry_path ? "--registry"
							    : "--lenient");
	char err[PCAP_ERRBUF_SIZE];
	pcap_if_t *devs;
	if (pcap_findalldevs(&devs, err) != 0) {
		fprintf(stderr, "portnote interfaces: %s\n", err);
		return PN_EXIT_FAIL;
	}
	if (cli.format == PN_FORMAT_CSV) {
		const char *hdr[] = {"name", "flags", "addresses",
				     "description"};
		pn_out_csv_row(stdout, hdr, 4);
	}
	for (const pcap_if_t *d = devs; d; d = d->next) {
		/* Text: "up,running" and space-separated addresses; CSV and
		 * JSON split on ';' (JSON then makes arrays of them). */
		bool text = cli.format == PN_FORMAT_TEXT;
		char flags[64], addrs[1024];
		flags_text(d->flags, text ? ',' : ';', flags, sizeof flags);
		addresses_text(d, text ? ' ' : ';', addrs, sizeof addrs);
		const char *desc = d->description ? d->description : "";
		if (cli.format == PN_FORMAT_JSON) {
			json_t *o = json_object();
			json_object_set_new(o, "name", json_string(d->name));
			json_object_set_new(o, "flags", split_list(flags));
			json_object_set_new(o, "addresses", split_list(addrs));
			json_object_set_new(o, "description",
					    json_string(desc));
			pn_out_json_line(stdout, o);
		} else if (cli.format == PN_FORMAT_CSV) {
			const char *row[] = {d->name, flags, addrs, desc};
			pn_out_csv_row(stdout, row, 4);
		} else {
			printf("%-16s %-28s %s%s%s\n", pn_safe(d->name), flags,
			       addrs, *desc ? (*addrs ? "  " : "") : "",
			       pn_safe(desc));
		}
	}
	pcap_freealldevs(devs);
	return pn_out_flush(stdout, PN_STDOUT_NAME, "portnote interfaces")
		   ? PN_EXIT_FAIL
		   : PN_EXIT_OK;
}
