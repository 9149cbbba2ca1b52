/* The sd-notify proxy's filter: conmon 2.1.9+'s whitelist. */
#include "testutil.h"
#include "tether/notify.h"

#include <string.h>

static void expect(const char *in, const char *out)
{
	g_autofree char *got = notify_filter(in, strlen(in));
	if (out == NULL)
		assert_null(got);
	else
		assert_string_equal(got, out);
}

static void test_filter(void **state)
{
	expect("READY=1", "READY=1");
	expect("READY=1\nSTATUS=serving\nMAINPID=42\n", "READY=1\nSTATUS=serving");
	expect("WATCHDOG=1", "WATCHDOG=1");
	expect("WATCHDOG=trigger\r\nERRNO=2", "WATCHDOG=trigger\nERRNO=2");
	expect("STOPPING=1\nRELOADING=1\nMONOTONIC_USEC=5\nBUSERROR=x",
	       "STOPPING=1\nRELOADING=1\nMONOTONIC_USEC=5\nBUSERROR=x");
	/* MAINPID is podman's to send; anything else stays in the container. */
	expect("MAINPID=1", NULL);
	expect("FDSTORE=1\nREADY=0\nX-READY=1", NULL);
	expect("", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_filter)};
	return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
