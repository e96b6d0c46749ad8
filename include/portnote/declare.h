/* declare.h — site declarations: what this site runs on a port, on
 * purpose (--declare FILE).
 *
 * A line "2222/tcp ssh" or "9000-9010/udp wireguard" (several protocols
 * joined by commas; '#' starts a comment) makes the declared protocols the
 * port's expectation instead of what the registry's services speak, so a
 * site's own services stop being flagged. Declarations never change what
 * the registry says: output keeps the two apart ("2222/tcp declared here
 * for ssh (registered for EtherNet-IP-1)"). */
#ifndef PORTNOTE_DECLARE_H
#define PORTNOTE_DECLARE_H

#include <stdint.h>
#include <stdio.h>

#include "portnote/registry.h"

struct pn_declarations;

/* Reads a declaration file. On an unreadable file or a bad line prints
 * "portnote WHO: FILE:LINE: what was wrong" on diag and returns NULL. */
struct pn_declarations *pn_declarations_load(const char *path, const char *who,
					     FILE *diag);
void pn_declarations_destroy(struct pn_declarations *d);

/* The protocols declared for a port (bit 1u << enum pn_proto each), 0 when
 * it is not declared or d is NULL. Constant time: one array index. */
uint32_t pn_declared(const struct pn_declarations *d, enum pn_transport t,
		     uint16_t port);

/* Declared ports, counted once per transport and port. */
unsigned long pn_declarations_ports(const struct pn_declarations *d);
const char *pn_declarations_path(const struct pn_declarations *d);

#endif
