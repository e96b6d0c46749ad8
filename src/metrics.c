/* metrics.c — placeholder until the metrics server lands: --metrics is
 * refused with a message. */
#include "portnote/live.h"

#include <stdio.h>
#include <stdlib.h>

struct pn_metrics *pn_metrics_start(const char *addr_port,
				    unsigned top_services, char *err,
				    size_t err_size)
{
	(void)addr_port;
	(void)top_services;
	snprintf(err, err_size, "metrics are not supported yet");
	return NULL;
}

void pn_metrics_update(struct pn_metrics *m,
		       const struct pn_live_snapshot *snap)
{
	(void)m;
	(void)snap;
}

char *pn_metrics_text(struct pn_metrics *m)
{
	(void)m;
	return NULL;
}

unsigned pn_metrics_port(const struct pn_metrics *m)
{
	(void)m;
	return 0;
}

void pn_metrics_stop(struct pn_metrics *m)
{
	(void)m;
}
