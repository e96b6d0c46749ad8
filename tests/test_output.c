/* test_output.c — the output layer: per-port registry words (annotate.c)
 * and the pcapng writer, read back with libpcap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "portnote/annotate.h"
#include "portnote/pcapng.h"

static int setup(void **state)
{
	char err[PN_ERRBUF_SIZE];
	struct pn_registry *reg;
	if (pn_registry_load(PN_FIXTURES "/quirks-2026.csv", "quirks", NULL,
			     &reg, err) != 0)
		fail_msg("%s", err);
	*state = reg;
	return 0;
}

static int teardown(void **state)
{
	pn_registry_free(*state);
	return 0;
}

static void test_port_words(void **state)
{
	struct pn_registry *reg = *state;
	struct pn_annotator *a = pn_annotator_create(reg);
	char buf[256];
	pn_annotate_port(a, PN_TCP, 80, buf, sizeof buf);
	assert_string_equal(buf, "80 registered for http, www, www-http");
	const struct pn_port_words *w = pn_annotate(a, PN_TCP, 80);
	assert_string_equal(w->status, "registered");
	assert_string_equal(w->names_json, "[\"http\",\"www\",\"www-http\"]");
	assert_string_equal(w->names_csv, "http;www;www-http");
	assert_string_equal(w->flags_csv, "multi");
	/* The same slot object is reused. */
	assert_ptr_equal(pn_annotate(a, PN_TCP, 80), w);

	pn_annotate_port(a, PN_TCP, 6003, buf, sizeof buf);
	assert_string_equal(buf, "6003 registered for x11 (unauthorized use "
				 "reported)");
	pn_annotate_port(a, PN_TCP, 6004, buf, sizeof buf);
	assert_string_equal(buf, "6004 registered for x11");
	pn_annotate_port(a, PN_UDP, 0, buf, sizeof buf);
	assert_string_equal(buf, "0 reserved");
	pn_annotate_port(a, PN_TCP, 81, buf, sizeof buf);
	assert_string_equal(buf, "81 unassigned");
	assert_string_equal(pn_annotate(a, PN_TCP, 81)->flags_csv,
			    "unassigned;protocol-unspecified");
	pn_annotate_port(a, PN_TCP, 24, buf, sizeof buf);
	assert_string_equal(buf, "24 registered without a name");
	pn_annotate_port(a, PN_TCP, 428, buf, sizeof buf);
	assert_string_equal(buf, "428 registered for ocs-cmu, ocs_cmu");
	pn_annotate_port(a, PN_SCTP, 5000, buf, sizeof buf);
	assert_string_equal(buf, "5000 unregistered");
	pn_annotate_port(a, PN_UDP, 50000, buf, sizeof buf);
	assert_string_equal(buf, "50000 dynamic, unregistered");
	assert_string_equal(pn_annotate(a, PN_UDP, 50000)->names_json, "[]");
	/* A short buffer is cut, terminated, never overrun. */
	char small[8];
	int n = pn_annotate_port(a, PN_TCP, 80, small, sizeof small);
	assert_true(n > 8);
	assert_string_equal(small, "80 regi");
	pn_annotator_destroy(a);
}

static void test_pcapng_roundtrip(void **state)
{
	(void)state;
	char path[] = "/tmp/pn-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char err[256];
	struct pn_pcapng *w = pn_pcapng_create(path, "portnote test", err);
	assert_non_null(w);
	uint32_t ifid = pn_pcapng_interface(w, DLT_EN10MB, 65535, "eth0");
	assert_int_equal(ifid, 0);
	uint8_t frame[61];
	for (size_t i = 0; i < sizeof frame; i++)
		frame[i] = (uint8_t)i;
	/* Odd lengths exercise the 32-bit padding of data and comment. */
	struct pcap_pkthdr h = {{1768467600, 123456}, 61, 1514};
	assert_int_equal(pn_pcapng_packet(w, ifid, &h, frame, "abc"), 0);
	h.ts.tv_usec = 999999;
	h.caplen = 60;
	h.len = 60;
	assert_int_equal(pn_pcapng_packet(w, ifid, &h, frame, NULL), 0);
	assert_int_equal(pn_pcapng_close(w, err), 0);

	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, perr);
	if (!p)
		fail_msg("%s", perr);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	struct pcap_pkthdr *rh;
	const u_char *data;
	assert_int_equal(pcap_next_ex(p, &rh, &data), 1);
	assert_int_equal(rh->ts.tv_sec, 1768467600);
	assert_int_equal(rh->ts.tv_usec, 123456);
	assert_int_equal(rh->caplen, 61);
	assert_int_equal(rh->len, 1514);
	assert_memory_equal(data, frame, 61);
	assert_int_equal(pcap_next_ex(p, &rh, &data), 1);
	assert_int_equal(rh->ts.tv_usec, 999999);
	assert_int_equal(rh->caplen, 60);
	assert_int_equal(pcap_next_ex(p, &rh, &data), PCAP_ERROR_BREAK);
	pcap_close(p);
	unlink(path);
}

static void test_pcapng_create_fails(void **state)
{
	(void)state;
	char err[256];
	assert_null(pn_pcapng_create("/nonexistent/dir/x.pcapng", "t", err));
	assert_non_null(
	    strstr(err, "/nonexistent/dir/x.pcapng: cannot create"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_port_words, setup, teardown),
	    cmocka_unit_test(test_pcapng_roundtrip),
	    cmocka_unit_test(test_pcapng_create_fails),
	};
	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
