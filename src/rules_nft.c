/* rules_nft.c — placeholder until the parser lands. */
#include "portnote/rules.h"

#include <stdio.h>

int pn_rules_parse_nft(const char *text, size_t len, const char *label,
		      struct pn_ruleset **out, char *errbuf)
{
	(void)text;
	(void)len;
	*out = NULL;
	snprintf(errbuf, PN_RULES_ERRBUF_SIZE, "%s: format not supported yet",
		 label);
	return -1;
}
