/* test_metrics.c — placeholder until the metrics tests land. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "portnote/live.h"

static void refused(void **state)
{
	(void)state;
	char err[128];
	assert_null(pn_metrics_start("127.0.0.1:0", 10, err, sizeof err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(refused)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
