/* check_run — what every unit test program's main() ends with: run the suite
 * (CK_FORK and the other CK_ variables from the environment, as make check
 * sets them) and exit with its verdict. */
#ifndef SWITCHBOARD_CHECK_RUN_H
#define SWITCHBOARD_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
