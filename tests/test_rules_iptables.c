/* test_rules_iptables.c — placeholder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "portnote/rules.h"

static void placeholder(void **state)
{
	(void)state;
	assert_int_equal(pn_rules_format_parse("nft"), PN_RULES_NFT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(placeholder)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
