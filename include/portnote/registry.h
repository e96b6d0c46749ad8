/* registry.h — IANA Service Name and Transport Protocol Port Number Registry.
 *
 * One layout serves both the table generated at build time (src/gen/portgen.c)
 * and a registry loaded at run time with --registry: a string pool, an array
 * of entries (one per CSV row, every column kept), deduplicated slots (the
 * entries registered on one transport/port, plus flags), and a flat
 * [transport][port] array of slot indices. A lookup is one array access.
 *
 * Rules settled once, here, for how CSV rows become entries and slots:
 *  - A port field is "N" or "N-M"; a range covers every port in it.
 *  - An empty transport on a row with a port means "tcp and udp, protocol
 *    unspecified": the registry wrote such rows before SCTP and DCCP had port
 *    spaces of their own, and they only ever cover the tcp/udp space. The
 *    entry carries PN_E_PROTO_UNSPECIFIED and sits in both tcp and udp slots.
 *  - A row with a service name and no port (a DNS-SD name) is kept for lookup
 *    by name and never enters the table.
 *  - A row with no service name is not a service: its description says what
 *    the slot is (Reserved, Unassigned, or rarely a free text such as "any
 *    private mail system", kept as PN_KIND_UNNAMED). "De-registered" and
 *    "Removed" rows count as unassigned and carry PN_E_REMOVED.
 *  - Within a slot, entries keep registry order, except that historic aliases
 *    ("This entry is an alias to ...") follow all other entries, so the
 *    well-formed name always prints first.
 *  - "Unauthorized Use Reported" (old header: "Known Unauthorized Uses") on a
 *    range row that names ports inside the range flags only those ports (x11
 *    6000-6063, "on port 6003"); otherwise it flags every port of the row.
 */
#ifndef PORTNOTE_REGISTRY_H
#define PORTNOTE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum pn_transport {
	PN_TCP,
	PN_UDP,
	PN_SCTP,
	PN_DCCP,
	PN_TRANSPORT_COUNT,
	/* An entry whose row names no transport. */
	PN_TRANSPORT_NONE = PN_TRANSPORT_COUNT,
};

enum pn_kind {
	PN_KIND_SERVICE,  /* has a service name */
	PN_KIND_UNNAMED,  /* a port row with neither a name nor a status word */
	PN_KIND_RESERVED, /* "Reserved" */
	PN_KIND_UNASSIGNED, /* "Unassigned", "De-registered", "Removed" */
};

/* RFC 6335 section 6: the three ranges of the port space. */
enum pn_port_class {
	PN_CLASS_SYSTEM,  /* 0-1023 */
	PN_CLASS_USER,	  /* 1024-49151 */
	PN_CLASS_DYNAMIC, /* 49152-65535: never assigned */
};

/* Entry flags. */
enum {
	PN_E_NO_PORT = 1u << 0,		     /* DNS-SD name only */
	PN_E_PROTO_UNSPECIFIED = 1u << 1,    /* empty transport column */
	PN_E_ALIAS = 1u << 2,		     /* historic alias of `link` */
	PN_E_DUPLICATE = 1u << 3,	     /* duplicate of `link` */
	PN_E_UNAUTHORIZED = 1u << 4,	     /* unauthorized use text present */
	PN_E_UNAUTHORIZED_PARTIAL = 1u << 5, /* ...naming only some ports */
	PN_E_DEASSIGNED = 1u << 6,	     /* "De-assigned on ..." */
	PN_E_REMOVED = 1u << 7,		     /* "removed on ...", "Removed" */
	PN_E_SERVICE_CODE = 1u << 8,	     /* DCCP service code present */
	PN_E_RANGE = 1u << 9,		     /* port_lo < port_hi */
};

/* Slot flags: a summary of the slot's entries, precomputed for the packet
 * path. */
enum {
	PN_S_SERVICE = 1u << 0,	     /* at least one named service */
	PN_S_MULTI = 1u << 1,	     /* several named services */
	PN_S_RESERVED = 1u << 2,     /* a Reserved row covers the port */
	PN_S_UNASSIGNED = 1u << 3,   /* an Unassigned row covers the port */
	PN_S_UNNAMED = 1u << 4,	     /* an unnamed, non-status row */
	PN_S_UNAUTHORIZED = 1u << 5, /* unauthorized use reported here */
	PN_S_PROTO_UNSPECIFIED = 1u
				 << 6, /* comes from a row without transport */
	PN_S_ALIAS = 1u << 7,	       /* holds a historic alias */
};

#define PN_NO_LINK UINT32_MAX

/* One registry row. String fields are offsets into the pool; 0 is "". */
struct pn_entry {
	uint32_t name, description, assignee, contact, reg_date, mod_date,
	    reference, service_code_text, unauthorized, notes;
	uint32_t line;	       /* line of the source CSV where the row starts */
	uint32_t service_code; /* parsed DCCP service code, valid with flag */
	uint32_t link;	       /* alias/duplicate target entry, or PN_NO_LINK */
	uint16_t port_lo, port_hi;
	uint16_t flags;
	uint8_t transport; /* enum pn_transport, PN_TRANSPORT_NONE if empty */
	uint8_t kind;	   /* enum pn_kind */
};

/* The entries registered on one transport/port. `first` indexes `lists`. */
struct pn_slot {
	uint32_t first;
	uint16_t count;
	uint16_t flags;
};

struct pn_registry_counts {
	uint32_t rows;
	uint32_t rows_by_transport[PN_TRANSPORT_COUNT + 1]; /* last: none */
	uint32_t services;   /* named rows with a port */
	uint32_t name_only;  /* named rows without a port */
	uint32_t reserved;   /* rows */
	uint32_t unassigned; /* rows */
	uint32_t unnamed;    /* rows */
	uint32_t ranges;     /* rows with a port range */
	uint32_t aliases;
	uint32_t duplicates;
	uint32_t unauthorized; /* rows */
	uint32_t service_codes;
	uint32_t lifecycle; /* rows with a de-assigned/removed note */
	uint32_t names;	    /* distinct service names */
	uint32_t multi_slots[PN_TRANSPORT_COUNT]; /* ports with several names */
	uint32_t skipped; /* rows skipped by --lenient */
};

struct pn_registry {
	const char *pool;
	uint32_t pool_size;
	const struct pn_entry *entries;
	uint32_t n_entries;
	const uint32_t *lists;
	uint32_t n_lists;
	const struct pn_slot *slots; /* slots[0] is the empty slot */
	uint32_t n_slots;
	const uint16_t (*table)[65536]; /* [enum pn_transport][port] */
	const char *source;		/* file the registry came from */
	char date[16];			/* newest date in the file */
	struct pn_registry_counts counts;
	bool owned; /* built at run time: pn_registry_free releases it */
};

struct pn_load_options {
	bool lenient; /* skip bad rows instead of failing */
	FILE *diag;   /* where skipped rows are reported; NULL: nowhere */
};

#define PN_ERRBUF_SIZE 512

/* What a registry file may cost, refused with "file:line: message" when
 * passed: rows, and port-transport cells (a row covers each of its ports
 * on each of its transports; the table builder walks them all). The IANA
 * registry has about 15,000 rows covering about 100,000 cells; the cell
 * bound keeps a hostile file under ~100 MB and a second of work. */
#define PN_REGISTRY_MAX_ROWS 200000u
#define PN_REGISTRY_MAX_CELLS 4194304u

/* Parses the CSV at `path` and builds a registry in the table layout.
 * Returns 0 and sets *out, or -1 with "file:line: message" in errbuf.
 * `label` names the file in messages and in registry->source (NULL: path). */
int pn_registry_load(const char *path, const char *label,
		     const struct pn_load_options *opts,
		     struct pn_registry **out, char errbuf[PN_ERRBUF_SIZE]);

/* Same, from a buffer already in memory. */
int pn_registry_load_buffer(const char *data, size_t len, const char *label,
			    const struct pn_load_options *opts,
			    struct pn_registry **out,
			    char errbuf[PN_ERRBUF_SIZE]);

void pn_registry_free(struct pn_registry *reg);

/* The registry generated at build time from
 * data/service-names-port-numbers.csv. */
const struct pn_registry *pn_registry_builtin(void);

static inline const struct pn_slot *
pn_registry_slot(const struct pn_registry *reg, enum pn_transport t,
		 uint16_t port)
{
	return &reg->slots[reg->table[t][port]];
}

static inline const struct pn_entry *
pn_slot_entry(const struct pn_registry *reg, const struct pn_slot *slot,
	      unsigned i)
{
	return &reg->entries[reg->lists[slot->first + i]];
}

static inline const char *pn_registry_str(const struct pn_registry *reg,
					  uint32_t off)
{
	return reg->pool + off;
}

static inline enum pn_port_class pn_port_class(uint16_t port)
{
	return port < 1024    ? PN_CLASS_SYSTEM
	       : port < 49152 ? PN_CLASS_USER
			      : PN_CLASS_DYNAMIC;
}

const char *pn_port_class_name(enum pn_port_class c);
const char *pn_transport_name(enum pn_transport t);
const char *pn_kind_name(enum pn_kind k);
/* "tcp", "udp", "sctp", "dccp" (any case) -> transport; -1 otherwise. */
int pn_transport_parse(const char *s);

/* Renders a DCCP service code as its four ASCII characters ("DISC") when all
 * are printable, else as the decimal number. buf holds at least 12 bytes. */
const char *pn_service_code_text(uint32_t code, char buf[12]);

/* True when `port` of entry `e` carries the row's unauthorized-use report
 * (see the range rule above). */
bool pn_entry_unauthorized_at(const struct pn_registry *reg,
			      const struct pn_entry *e, uint16_t port);

/* True when the entry's unauthorized-use text names a port inside its own
 * range: the builder then flags only the named ports. */
bool pn_entry_names_unauthorized_port(const struct pn_registry *reg,
				      const struct pn_entry *e);

/* Index of the first entry named `name` (case-insensitive, as RFC 6335
 * section 5.1 compares service names) at or after `from`; -1 if none. */
long pn_registry_find_name(const struct pn_registry *reg, const char *name,
			   uint32_t from);

/* The snapshot date, or "undated" when the file holds no dates. */
const char *pn_registry_date_text(const struct pn_registry *reg);

/* Where the registry in use came from, for report headers: "built in", or
 * the file it was loaded from (raw: callers escape it for their format). */
const char *pn_registry_origin(const struct pn_registry *reg);

/* Age in days of the snapshot date relative to `now` (seconds since the
 * epoch); -1 if the date cannot be read. */
long pn_registry_age_days(const struct pn_registry *reg, long long now);

#endif
