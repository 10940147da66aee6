/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal KTAP harness for memtrack's test modules: the kernels we test
 * on have no KUnit, so tests run at module init, print KTAP to the kernel
 * log, and init fails when any test failed.
 */
#ifndef _MTT_KTAP_H
#define _MTT_KTAP_H

#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/types.h>

/* Set by the EXPECT macros when the current test fails. */
static bool mtt_failed;

#define mtt_diag(fmt, ...) \
	pr_info("    # %s:%d: " fmt "\n", __func__, __LINE__, ##__VA_ARGS__)

/* Compare two integers as s64 and report expected vs actual on mismatch. */
#define EXPECT_EQ(actual, expected)					\
	do {								\
		s64 __a = (s64)(actual);				\
		s64 __e = (s64)(expected);				\
		if (__a != __e) {					\
			mtt_diag("%s == %lld, expected %lld",		\
				#actual, __a, __e);			\
			mtt_failed = true;				\
		}							\
	} while (0)

#define EXPECT_TRUE(cond)						\
	do {								\
		if (!(cond)) {						\
			mtt_diag("expected %s", #cond);			\
			mtt_failed = true;				\
		}							\
	} while (0)

struct mtt_case {
	const char *name;
	void (*run)(void);
};

/* Run every case, print KTAP; returns the number of failed cases. */
static inline int mtt_run(const char *suite, const struct mtt_case *cases,
			  size_t n)
{
	int failed = 0;
	size_t i;

	pr_info("KTAP version 1\n");
	pr_info("1..%zu\n", n);
	for (i = 0; i < n; i++) {
		mtt_failed = false;
		cases[i].run();
		if (mtt_failed)
			failed++;
		pr_info("%sok %zu %s\n", mtt_failed ? "not " : "", i + 1,
			cases[i].name);
	}
	pr_info("# %s: pass:%zu fail:%d\n", suite, n - failed, failed);
	return failed;
}

#endif /* _MTT_KTAP_H */
