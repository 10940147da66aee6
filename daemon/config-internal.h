/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to config.c (parsing, validation) and config-files.c (which
 * files, reading them), so that both report errors the same way;
 * everyone else goes through config.h.
 */
#ifndef MEMTRACKD_CONFIG_INTERNAL_H
#define MEMTRACKD_CONFIG_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The message goes to @err when the caller gave room for one; the result
 * is -EINVAL, so that a check can return it.  Static inline: each file
 * keeps its own copy rather than the library exporting a name this short.
 */
__attribute__((format(printf, 3, 4)))
static inline int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

#endif
