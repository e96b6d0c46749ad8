/* decode.h — packet decoding from the link layer down to transport ports.
 *
 * pn_decode_packet() turns one captured frame into a flat struct pn_packet:
 * the innermost IP header's addresses and protocol, the transport and its
 * ports, and an outcome (status + reason). Decoders treat every byte as
 * hostile: all reads are bounded by the captured length, declared lengths
 * are checked against what the enclosing header left on the wire, loops are
 * bounded, and nothing prints, allocates or asserts on packet values.
 *
 * This header does not include registry.h: enum pn_l4 mirrors the order of
 * enum pn_transport there, so a decoded transport indexes the port table
 * directly. tests/test_decode.c pins the values; code that includes both
 * headers should also _Static_assert((int)PN_L4_DCCP == (int)PN_DCCP).
 */
#ifndef PORTNOTE_DECODE_H
#define PORTNOTE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tunables, most likely to be touched first. */

/* VLAN tags kept in struct pn_packet; deeper tags are only counted. */
#define PN_VLAN_KEEP 2
/* Tags accepted in one Ethernet header before giving up ("vlan-depth");
 * QinQ uses 2, anything past a handful is a crafted frame. */
#define PN_VLAN_MAX_TAGS 8
/* IPv6 extension headers followed before giving up ("ipv6-ext-limit"). */
#define PN_IPV6_EXT_MAX 8

/* pcap link-layer header types accepted (values of pcap_datalink() on Linux
 * and of the LINKTYPE_ field of a savefile; www.tcpdump.org/linktypes.html).
 */
enum {
	PN_LINKTYPE_NULL = 0,	      /* BSD loopback, AF in host byte order */
	PN_LINKTYPE_ETHERNET = 1,     /* DLT_EN10MB */
	PN_LINKTYPE_DLT_RAW = 12,     /* DLT_RAW except on OpenBSD (DLT_LOOP) */
	PN_LINKTYPE_DLT_RAW_BSD = 14, /* DLT_RAW on OpenBSD */
	PN_LINKTYPE_RAW = 101,	      /* LINKTYPE_RAW in savefiles */
	PN_LINKTYPE_LOOP = 108,	     /* OpenBSD loopback, AF in network order */
	PN_LINKTYPE_LINUX_SLL = 113, /* Linux "cooked" capture v1 */
	PN_LINKTYPE_IPV4 = 228,
	PN_LINKTYPE_IPV6 = 229,
	PN_LINKTYPE_LINUX_SLL2 = 276, /* Linux "cooked" capture v2 */
};

enum pn_decode_status {
	PN_OK,		/* decoded; transport fields valid unless PN_L4_NONE */
	PN_TRUNCATED,	/* the capture (snaplen) ended inside a header */
	PN_MALFORMED,	/* a header contradicts itself or its enclosing one */
	PN_UNSUPPORTED, /* valid, but not something portnote decodes */
	PN_FRAGMENT,	/* a later IP fragment: it carries no ports */
	PN_STATUS_COUNT,
};

/* Why a packet did not decode to PN_OK. Values are stable only within a
 * build; names (pn_decode_reason_name) are the stable interface. */
enum pn_decode_reason {
	PN_R_NONE,
	PN_R_BAD_CAPLEN,
	PN_R_UNSUPPORTED_LINK,
	PN_R_TRUNCATED_ETH,
	PN_R_SHORT_ETH,
	PN_R_TRUNCATED_VLAN,
	PN_R_SHORT_VLAN,
	PN_R_VLAN_DEPTH,
	PN_R_TRUNCATED_SLL,
	PN_R_SHORT_SLL,
	PN_R_TRUNCATED_SLL2,
	PN_R_SHORT_SLL2,
	PN_R_TRUNCATED_NULL,
	PN_R_SHORT_NULL,
	PN_R_UNSUPPORTED_FAMILY,
	PN_R_UNSUPPORTED_ETHERTYPE,
	PN_R_BAD_IP_VERSION,
	PN_R_TRUNCATED_IPV4,
	PN_R_SHORT_IPV4,
	PN_R_BAD_IHL,
	PN_R_BAD_IPV4_LENGTH,
	PN_R_IPV4_FRAGMENT,
	PN_R_TRUNCATED_IPV6,
	PN_R_SHORT_IPV6,
	PN_R_BAD_IPV6_LENGTH,
	PN_R_TRUNCATED_IPV6_EXT,
	PN_R_BAD_IPV6_EXT,
	PN_R_IPV6_EXT_LIMIT,
	PN_R_IPV6_FRAGMENT,
	PN_R_TINY_FRAGMENT,
	PN_R_TUNNEL_DEPTH,
	PN_R_TRUNCATED_GRE,
	PN_R_SHORT_GRE,
	PN_R_BAD_GRE,
	PN_R_UNSUPPORTED_GRE,
	PN_R_TRUNCATED_TCP,
	PN_R_SHORT_TCP,
	PN_R_BAD_TCP_OFFSET,
	PN_R_TRUNCATED_UDP,
	PN_R_SHORT_UDP,
	PN_R_BAD_UDP_LENGTH,
	PN_R_BAD_UDPLITE_COVERAGE,
	PN_R_TRUNCATED_SCTP,
	PN_R_SHORT_SCTP,
	PN_R_BAD_SCTP_CHUNK,
	PN_R_TRUNCATED_DCCP,
	PN_R_SHORT_DCCP,
	PN_R_BAD_DCCP_OFFSET,
	PN_R_BAD_DCCP_TYPE,
	PN_R_TRUNCATED_PPPOE,
	PN_R_SHORT_PPPOE,
	PN_R_BAD_PPPOE,
	PN_R_BAD_PPPOE_LENGTH,
	PN_R_UNSUPPORTED_PPP,
	PN_R_TRUNCATED_MPLS,
	PN_R_SHORT_MPLS,
	PN_R_MPLS_DEPTH,
	PN_R_UNSUPPORTED_MPLS,
	PN_R_TRUNCATED_LLC,
	PN_R_SHORT_LLC,
	PN_R_BAD_LLC_LENGTH,
	PN_R_COUNT,
};

/* What was wrong with a packet that still decoded: its transport ports
 * count in flows and statistics, as tshark and tcpdump still show them.
 * Bits of pn_packet.warnings; names (pn_decode_warning_name) are stable. */
enum pn_decode_warning {
	PN_W_CAPLEN_EXCEEDS_LEN,	/* pcap record: caplen > len */
	PN_W_IPV4_LENGTH_EXCEEDS_FRAME, /* total length past the frame */
	PN_W_IPV6_LENGTH_EXCEEDS_FRAME, /* payload length past the frame */
	PN_W_TCP_HEADER_CUT,		/* cut after the ports */
	PN_W_UDP_HEADER_CUT,
	PN_W_SCTP_HEADER_CUT,
	PN_W_SCTP_CHUNK_CUT, /* common header whole, first chunk cut */
	PN_W_DCCP_HEADER_CUT,
	PN_W_DCCP_SERVICE_CUT, /* Request/Response without its service code */
	PN_W_COUNT,
};

/* Same order and values as enum pn_transport in registry.h. */
enum pn_l4 {
	PN_L4_TCP,
	PN_L4_UDP, /* also UDP-Lite, with udplite set */
	PN_L4_SCTP,
	PN_L4_DCCP,
	PN_L4_NONE, /* no ports: ICMP, ESP, other protocols, or not decoded */
	PN_L4_COUNT = PN_L4_NONE,
};

/* The one encapsulation followed to reach the innermost IP header. */
enum pn_tunnel {
	PN_TUNNEL_NONE,
	PN_TUNNEL_IPIP,	   /* IP protocol 4: IPv4 inside IPv4 or IPv6 */
	PN_TUNNEL_IP6,	   /* IP protocol 41: IPv6 inside IPv4 (6in4) or IPv6 */
	PN_TUNNEL_GRE,	   /* IP protocol 47 carrying IPv4 or IPv6 */
	PN_TUNNEL_GRE_TEB, /* GRE carrying Ethernet (type 0x6558) */
};

/* Link-layer encapsulations followed to IP (decode_link.c). */
/* MPLS label stack entries (RFC 3032) accepted before giving up
 * ("mpls-depth"); real stacks hold 1-4 (VPN, TE, entropy labels). */
#define PN_MPLS_MAX_LABELS 8
/* MPLS labels kept in struct pn_packet, outermost first; deeper ones are
 * only counted. */
#define PN_MPLS_KEEP 2
/* Unsupported ethertypes counted by value in struct pn_decode_counters;
 * later distinct values are counted together. */
#define PN_ETHERTYPE_KEEP 8

/* What a frame that decodes PN_OK without reaching IP was: link control
 * and other non-IP protocols, counted by name instead of as failures. */
enum pn_nonip {
	PN_NONIP_NONE,		  /* IP, or not decoded */
	PN_NONIP_ARP,		  /* 0x0806, RFC 826 */
	PN_NONIP_RARP,		  /* 0x8035, RFC 903 */
	PN_NONIP_LLDP,		  /* 0x88cc, IEEE 802.1AB */
	PN_NONIP_EAPOL,		  /* 0x888e, IEEE 802.1X */
	PN_NONIP_PPPOE_DISCOVERY, /* 0x8863, RFC 2516 section 5 */
	PN_NONIP_PPP_LCP,	  /* PPP 0xc021, RFC 1661 */
	PN_NONIP_PPP_NCP,	  /* PPP 0x8000-0xbfff: IPCP, IPV6CP, ... */
	PN_NONIP_PPP_CONTROL,	  /* PPP 0xc000-0xffff: PAP, CHAP, EAP, ... */
	PN_NONIP_SLOW,		  /* 0x8809, IEEE 802.3 slow protocols (LACP) */
	PN_NONIP_PTP,		  /* 0x88f7, IEEE 1588 */
	PN_NONIP_MACSEC,	  /* 0x88e5, IEEE 802.1AE: encrypted */
	PN_NONIP_IPX,		  /* 0x8137, raw 802.3, LLC 0xe0 */
	PN_NONIP_APPLETALK,	  /* 0x809b */
	PN_NONIP_AARP,		  /* 0x80f3 */
	PN_NONIP_FLOW_CONTROL,	  /* 0x8808, IEEE 802.3 MAC control (PAUSE) */
	PN_NONIP_LOOPBACK,	  /* 0x9000, Ethernet configuration testing */
	PN_NONIP_STP,		  /* LLC DSAP 0x42, IEEE 802.1D BPDUs */
	PN_NONIP_CDP,		  /* SNAP, Cisco OUI, PID 0x2000 */
	PN_NONIP_SNAP,		  /* other SNAP (VTP, DTP, PVST+, ...) */
	PN_NONIP_LLC,		  /* other IEEE 802.2 LLC (NetBIOS, IS-IS) */
	PN_NONIP_COUNT,
};

/* IPv4 addresses are stored IPv4-mapped (RFC 4291 section 2.5.5.2):
 * ::ffff:a.b.c.d, the IPv4 bytes at PN_ADDR_V4_OFF. So 16-byte compares and
 * flow keys never confuse an IPv4 address with an IPv6 one. */
#define PN_ADDR_V4_OFF 12

/* TCP flags byte (RFC 9293 section 3.1; CWR/ECE from RFC 3168). */
enum {
	PN_TCP_FIN = 0x01,
	PN_TCP_SYN = 0x02,
	PN_TCP_RST = 0x04,
	PN_TCP_PSH = 0x08,
	PN_TCP_ACK = 0x10,
	PN_TCP_URG = 0x20,
	PN_TCP_ECE = 0x40,
	PN_TCP_CWR = 0x80,
};

#define PN_SCTP_CHUNK_INIT 1
#define PN_DCCP_REQUEST 0
#define PN_DCCP_RESPONSE 1

/* The flat result of decoding one frame. Fields describe the deepest header
 * fully decoded: after PN_TRUNCATED inside a tunnel, the addresses are the
 * outer ones. Transport fields are valid only when l4 != PN_L4_NONE, which
 * happens only with status PN_OK. A header cut after its ports (by the
 * snaplen, or by a frame shorter than the IP length) still yields l4 and
 * the ports, with a warning; fields it did not reach are unknown and
 * say so (has_tcp_flags, has_dccp_type, has_sctp_chunk). Offsets count
 * from the start of the frame and never exceed caplen. */
struct pn_packet {
	/* pcap */
	int linktype;
	uint32_t caplen, wirelen;

	/* link */
	uint16_t ethertype; /* last ethertype dispatched on; 0 if none */
	uint8_t vlan_count; /* 802.1Q/802.1ad tags seen, kept or not */
	uint16_t vlan[PN_VLAN_KEEP]; /* VLAN ids, outermost first */

	/* network */
	enum pn_tunnel tunnel;
	uint8_t ip_version;	  /* 4, 6, or 0 when no IP header was decoded */
	uint8_t ip_proto;	  /* innermost protocol / final next header */
	bool first_fragment;	  /* ports came from an offset-0 fragment */
	uint8_t src[16], dst[16]; /* see PN_ADDR_V4_OFF */
	uint32_t ip_off;	  /* innermost IP header */

	/* transport */
	enum pn_l4 l4;
	bool udplite; /* l4 is PN_L4_UDP but IP protocol 136 */
	uint16_t sport, dport;
	uint8_t tcp_flags;     /* PN_TCP_*; 0 unless has_tcp_flags */
	bool has_tcp_flags;    /* the flags byte was captured */
	bool has_sctp_chunk;   /* the first chunk header was captured */
	uint8_t sctp_chunk;    /* its type; PN_SCTP_CHUNK_INIT opens */
	bool has_dccp_type;    /* the packet type was captured */
	uint8_t dccp_type;     /* RFC 4340 section 5.1 packet type */
	bool dccp_long_seq;    /* X bit: 48-bit sequence numbers */
	bool has_service_code; /* DCCP-Request or -Response */
	uint32_t service_code;
	uint32_t l4_off;      /* transport header, or IP payload if none */
	uint32_t payload_off; /* after the transport header, clamped */
	uint32_t payload_len; /* captured payload bytes, within IP length */

	/* outcome */
	enum pn_decode_status status;
	enum pn_decode_reason reason;
	uint16_t warnings; /* bit (1u << enum pn_decode_warning) per warning */

	/* link encapsulations and non-IP frames */
	enum pn_nonip nonip;	/* set only with PN_OK; no IP beneath it */
	bool pppoe;		/* a PPPoE session header was followed */
	uint16_t pppoe_session; /* its session id */
	uint8_t mpls_count;	/* MPLS label stack entries seen */
	uint32_t mpls_label[PN_MPLS_KEEP]; /* 20-bit labels, outermost first */
};

/* Decodes one frame of the given pcap link type. caplen bytes at pkt are
 * readable; wirelen is the frame's length on the wire (pcap's len) and is
 * used only to tell a snaplen cut (PN_TRUNCATED) from a header that claims
 * more than was sent (PN_MALFORMED). Sets every field of *out and returns
 * out->status. Never reads outside pkt[0..caplen). */
enum pn_decode_status pn_decode_packet(int linktype, const uint8_t *pkt,
				       uint32_t caplen, uint32_t wirelen,
				       struct pn_packet *out);

bool pn_decode_linktype_supported(int linktype);
/* pcap's name for the link type ("EN10MB", "LINUX_SLL2"), or "unknown". */
const char *pn_decode_linktype_name(int linktype);

/* Stable names: "ok", "truncated", "malformed", "unsupported", "fragment". */
const char *pn_decode_status_name(enum pn_decode_status status);
/* Stable reason names, e.g. "truncated-ipv4", "bad-ihl", "bad-tcp-offset";
 * "unknown" for a value out of range. */
const char *pn_decode_reason_name(enum pn_decode_reason reason);
/* The reason as a layer.thing counter name, e.g. "link.unsupported",
 * "ip.tunnel_depth", "udp.bad_length"; "unknown" when out of range. */
const char *pn_decode_reason_counter(enum pn_decode_reason reason);
/* Stable warning names, e.g. "ipv4-length-exceeds-frame",
 * "tcp-header-cut"; "unknown" for a value out of range. */
const char *pn_decode_warning_name(enum pn_decode_warning warning);
/* The names of a packet's warnings joined by sep into buf (always
 * terminated; "" for none); returns the length. */
size_t pn_decode_warnings_text(uint16_t warnings, const char *sep, char *buf,
			       size_t size);
/* "tcp", "udp", "sctp", "dccp", "none". */
const char *pn_l4_name(enum pn_l4 l4);
/* "none", "ipip", "ip6", "gre", "gre-teb". */
const char *pn_tunnel_name(enum pn_tunnel tunnel);
/* Stable non-IP kind names: "arp", "lldp", "stp", "llc", "eapol", ...;
 * "none" for PN_NONIP_NONE, "unknown" out of range. */
const char *pn_decode_nonip_name(enum pn_nonip kind);

/* Anomaly counters for a run. Zero-initialise, then add every packet. */
struct pn_decode_counters {
	uint64_t packets;
	uint64_t status[PN_STATUS_COUNT];
	uint64_t reason[PN_R_COUNT]; /* [PN_R_NONE] counts PN_OK packets */
	uint64_t l4[PN_L4_NONE + 1];
	uint64_t ip_proto[256]; /* packets with an IP header decoded */
	uint64_t portless[256]; /* PN_OK without transport, by IP protocol */
	uint64_t tunnel[PN_TUNNEL_GRE_TEB + 1];
	uint64_t warned;		/* packets with any warning */
	uint64_t warning[PN_W_COUNT];	/* packets with each warning */
	uint64_t nonip[PN_NONIP_COUNT]; /* PN_OK non-IP frames, by kind */
	/* unsupported-ethertype by value: the first PN_ETHERTYPE_KEEP
	 * distinct values (slots with a zero count are free), then the
	 * rest together. */
	uint16_t ethertype_value[PN_ETHERTYPE_KEEP];
	uint64_t ethertype_count[PN_ETHERTYPE_KEEP];
	uint64_t ethertype_other;
};

void pn_decode_count(struct pn_decode_counters *c, const struct pn_packet *p);

#endif
