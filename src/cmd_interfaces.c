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
    "addresses. Capturing usually needs root or CAP_NET_RAW.\n"
    "\n"
    "options:\n"
    "  --format FMT      text (default), json or csv\n"
    "  -h, --help        show this help\n";

static void flags_text(bpf_u_int32 f, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s", f & PCAP_IF_UP ? "up" : "down",
		 f & PCAP_IF_RUNNING ? ",running" : "",
		 f & PCAP_IF_LOOPBACK ? ",loopback" : "",
		 f & PCAP_IF_WIRELESS ? ",wireless" : "",
		 (f & PCAP_IF_CONNECTION_STATUS) ==
			 PCAP_IF_CONNECTION_STATUS_DISCONNECTED
		     ? ",disconnected"
		     : "");
}

/* The device's IPv4 and IPv6 addresses, space-separated. */
static void addresses_text(const pcap_if_t *d, char *buf, size_t size)
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
		int w = snprintf(buf + n, size - n, "%s%s", n ? " " : "", text);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
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
		char flags[64], addrs[1024];
		flags_text(d->flags, flags, sizeof flags);
		addresses_text(d, addrs, sizeof addrs);
		const char *desc = d->description ? d->description : "";
		if (cli.format == PN_FORMAT_JSON) {
			json_t *o = json_object();
			json_object_set_new(o, "name", json_string(d->name));
			json_object_set_new(o, "flags", json_string(flags));
			json_object_set_new(o, "addresses", json_string(addrs));
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
