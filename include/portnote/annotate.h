/* annotate.h — what to print about a port: the registry's words for each
 * slot, built once per slot on first use and reused, so per-packet output
 * never walks the registry. Labels say "registered for", never "is". */
#ifndef PORTNOTE_ANNOTATE_H
#define PORTNOTE_ANNOTATE_H

#include "portnote/declare.h"
#include "portnote/registry.h"

struct pn_annotator;

struct pn_annotator *pn_annotator_create(const struct pn_registry *reg);
void pn_annotator_destroy(struct pn_annotator *a);

/* The site's declarations (--declare; NULL for none): the port texts say
 * "declared here for ssh (registered for ...)" for a declared port, and
 * every verdict printed through this annotator is judged against them.
 * The annotator does not own them. */
void pn_annotator_declare(struct pn_annotator *a,
			  const struct pn_declarations *d);
const struct pn_declarations *
pn_annotator_declarations(const struct pn_annotator *a);

/* The per-slot texts. Every pointer stays valid until destroy. */
struct pn_port_words {
	const char *label;  /* "registered for http, www, www-http", "reserved",
			       "unassigned", "unregistered", with
			       " (unauthorized use reported)" when flagged */
	const char *status; /* "registered", "unnamed", "reserved",
			       "unassigned", "unregistered" */
	const char *names_json; /* ["http","www","www-http"] */
	const char *names_csv;	/* http;www;www-http */
	/* The names as a flow's service, inside a JSON string: http, www,
	 * www-http (escaped; "" when the slot has none). */
	const char *service_json;
	size_t names_json_len, service_json_len; /* copied per flow */
	/* What the slot's services speak, per transport
	 * (pn_evidence_slot_expected): asked per ended flow. */
	uint32_t expected[PN_TRANSPORT_COUNT];
	/* pn_annotate_flow_json's, by port class: NULL until asked for. */
	const char *flow_json[3];
	size_t flow_json_len[3];
	const char *flags_json; /* ["multi","unauthorized-use-reported"] */
	const char *flags_csv;	/* multi;unauthorized-use-reported */
	/* The status, services and flags as the members of a packet's JSON
	 * line, for the source port [0] and the destination port [1]:
	 * ,"sport_status":"registered","sport_services":["http"],
	 * "sport_flags":[] — built once, copied whole per packet. */
	const char *json[2];
	size_t json_len[2];
};

const struct pn_port_words *pn_annotate(struct pn_annotator *a,
					enum pn_transport t, uint16_t port);

/* A flow's JSON members after its service, up to the flags' opening
 * bracket, for server port `port`: ","server_port_class":"user",
 * "server_port_status":"registered","services":["http"],"flags":[ — built
 * once per registry slot and port class, when first asked for. */
const char *pn_annotate_flow_json(struct pn_annotator *a, enum pn_transport t,
				  uint16_t port, size_t *len);

/* Writes "443 registered for https" (with "dynamic, " before the label for
 * ports in the Dynamic range), or for a declared port "2222 declared here
 * for ssh (registered for EtherNet-IP-1)". Returns the length written, as
 * snprintf. */
int pn_annotate_port(struct pn_annotator *a, enum pn_transport t, uint16_t port,
		     char *buf, size_t size);

/* Appends s to out as the inside of a JSON string (no quotes). */
void pn_json_escape(FILE *out, const char *s);

#endif
