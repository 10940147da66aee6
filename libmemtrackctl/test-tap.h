/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TAP check macro of the host unit tests: one "ok N - ..." or
 * "not ok N - ... (file:line)" line per check; main() ends with the plan
 * and returns failures != 0.
 */
#ifndef MTC_TEST_TAP_H
#define MTC_TEST_TAP_H

#include <stdio.h>

static int failures;
static int checks;

#define CHECK(cond, ...)                                         \
	do {                                                     \
		checks++;                                        \
		if (!(cond)) {                                   \
			failures++;                              \
			printf("not ok %d - ", checks);          \
			printf(__VA_ARGS__);                     \
			printf(" (%s:%d)\n", __FILE__, __LINE__); \
		} else {                                         \
			printf("ok %d - ", checks);              \
			printf(__VA_ARGS__);                     \
			printf("\n");                            \
		}                                                \
	} while (0)

#endif
