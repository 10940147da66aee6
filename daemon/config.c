// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackd configuration: a strict subset of systemd's INI dialect.  A
 * typo must not silently turn an alert off, so everything unknown or
 * malformed is an error that names the file and line, and a failed
 * reload keeps the last good config.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-internal.h"

#define LINE_MAX_BYTES 4096
#define USEC_PER_SEC 1000000ULL
#define PROPS_MAX_PER_SEC 1000

static const struct time_unit {
	const char *name;
	uint64_t usec;
} time_units[] = {
	{ "", USEC_PER_SEC },	/* a bare number is seconds, as in *Sec= */
	{ "us", 1 }, { "usec", 1 }, { "ms", 1000 }, { "msec", 1000 },
	{ "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC },
	{ "m", 60 * USEC_PER_SEC }, { "min", 60 * USEC_PER_SEC },
	{ "h", 3600 * USEC_PER_SEC }, { "d", 86400 * USEC_PER_SEC },
	{ "w", 7 * 86400 * USEC_PER_SEC }, { NULL, 0 },
};

/* The *Sec= keys of [Daemon]: one table for the defaults and the parser. */
static const struct daemon_span {
	const char *key;
	size_t offset;
	uint64_t def;
	bool zero_is_off;
} daemon_spans[] = {
	{ "SaveIntervalSec", offsetof(struct mtd_config, save_interval_usec),
	  300 * USEC_PER_SEC, false },
	{ "PrometheusIntervalSec",
	  offsetof(struct mtd_config, prometheus_interval_usec),
	  15 * USEC_PER_SEC, false },
	{ "DmaBufScanIntervalSec",
	  offsetof(struct mtd_config, dmabuf_scan_interval_usec), 0, true },
};

static uint64_t *span_field(struct mtd_config *cfg,
			    const struct daemon_span *s)
{
	return (uint64_t *)((char *)cfg + s->offset);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ASCII only: isalpha() would follow the locale. */
static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * "<digits>[.<digits>]" at *@p times @mult, advancing *@p.  The fraction
 * is kept to 18 digits so that fraction * multiplier fits 128 bits; a
 * fraction of the smallest unit means nothing and is refused.
 */
static int parse_scaled(const char **p, uint64_t (*unit)(const char **),
			uint64_t *out)
{
	const char *s = *p;
	uint64_t ip = 0, frac = 0, fdiv = 1, mult;
	unsigned __int128 v;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		if (ip > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		ip = ip * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.' && !is_digit(*++s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		if (fdiv == 1000000000000000000ULL)
			return -EINVAL;
		frac = frac * 10 + (uint64_t)(*s - '0');
		fdiv *= 10;
	}
	mult = unit(&s);
	if (!mult || (fdiv > 1 && mult == 1))
		return -EINVAL;
	v = (unsigned __int128)ip * mult + (unsigned __int128)frac * mult / fdiv;
	if (v > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)v;
	*p = s;
	return 0;
}

static uint64_t time_unit(const char **s)
{
	const struct time_unit *u;
	size_t n;

	for (n = 0; is_alpha((*s)[n]); n++)
		;
	for (u = time_units; u->name; u++)
		if (strlen(u->name) == n && !strncmp(u->name, *s, n))
			break;
	*s += n;
	return u->usec;
}

/* "", "B", or K/M/G/T/P/E alone or with "B" or "iB", all 1024-based. */
static uint64_t byte_unit(const char **s)
{
	static const char prefixes[] = "KMGTPE";
	const char *c = **s ? strchr(prefixes, **s) : NULL;
	uint64_t mult = c ? 1ULL << (10 * (c - prefixes + 1)) : 1;

	if (c)
		(*s)++;
	if (c && (*s)[0] == 'i' && (*s)[1] == 'B')
		(*s)++;
	if (**s == 'B')
		(*s)++;
	return **s ? 0 : mult;
}

int mtd_parse_timespan(const char *s, uint64_t *usec)
{
	uint64_t total = 0, part;
	int r;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		r = parse_scaled(&s, time_unit, &part);
		if (r)
			return r;
		if (total > UINT64_MAX - part)
			return -ERANGE;
		total += part;
		if (!*s)
			break;
		/* "1h 30min" as in systemd, but no stray blanks at the end. */
		while (*s == ' ' || *s == '\t')
			s++;
		if (!is_digit(*s))
			return -EINVAL;
	}
	*usec = total;
	return 0;
}

int mtd_parse_bytes(const char *s, uint64_t *bytes)
{
	if (!s || !*s)
		return -EINVAL;
	return parse_scaled(&s, byte_unit, bytes);
}

/* "80", "80.5" followed by '%' -> hundredths of a percent, 0 < p <= 100. */
static int parse_percent(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int nd;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++)
		if ((v = v * 10 + (uint64_t)(*s - '0')) > 100)
			return -ERANGE;
	v *= 100;
	if (*s == '.' && !is_digit(*++s))
		return -EINVAL;
	for (nd = 0; is_digit(*s); s++, nd++) {
		if (nd == 2)
			return -EINVAL;
		v += (uint64_t)(*s - '0') * (nd ? 1 : 10);
	}
	if (s[0] != '%' || s[1])
		return -EINVAL;
	if (!v || v > 10000)
		return -ERANGE;
	*out = v;
	return 0;
}

void mtd_config_init(struct mtd_config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	mtd_history_config_default(&cfg->history);
	cfg->props_changed_max_per_sec = 4;
	cfg->event_buffer_bytes = MTD_EVENT_BUFFER_DEFAULT;
	for (i = 0; i < ARRAY_SIZE(daemon_spans); i++)
		*span_field(cfg, &daemon_spans[i]) = daemon_spans[i].def;
}

static void rule_free(struct mtd_rule *r)
{
	free(r->match);
	free(r->file);
	r->match = NULL;
	r->file = NULL;
}

void mtd_config_free(struct mtd_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_rules; i++)
		rule_free(&cfg->rules[i]);
	free(cfg->rules);
	free(cfg->prometheus_file);
	memset(cfg, 0, sizeof(*cfg));
}

enum section { SECTION_NONE, SECTION_DAEMON, SECTION_RULE };

enum rule_key {
	RK_NAME, RK_MATCH, RK_RAISE, RK_CLEAR, RK_PERCENT_OF,
	RK_RAISE_AFTER, RK_CLEAR_AFTER, RK_REPEAT, RK_SEVERITY, RK_COUNT,
};

static const char *const rule_keys[RK_COUNT] = {
	"Name", "Match", "Raise", "Clear", "PercentOf",
	"RaiseAfterSec", "ClearAfterSec", "RepeatIntervalSec", "Severity",
};

struct parser {
	struct mtd_config *cfg;
	const char *file;
	unsigned int line;
	char *err;
	size_t errlen;
	enum section section;
	/* The [Rule] being read; it is only complete at the next header. */
	struct mtd_rule rule;
	unsigned int key_line[RK_COUNT];
	bool raise_pct, clear_pct;
	enum mtd_percent_of percent_of;
	/* Last history key of this file, checked as a whole at its end. */
	unsigned int history_line;
	const char *history_key;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%u: ", p->file, p->line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int oom(struct parser *p)
{
	fail(p, "out of memory");
	return -ENOMEM;
}

/* @val parsed by mtd_parse_timespan() or mtd_parse_bytes(), or an error. */
static int num_value(struct parser *p, const char *key, const char *val,
		     int (*parse)(const char *, uint64_t *), uint64_t *out)
{
	int r = parse(val, out);

	if (r == -ERANGE)
		return fail(p, "%s=: \"%s\" is too large", key, val);
	if (r)
		return fail(p, "%s=: \"%s\" is not a %s", key, val,
			    parse == mtd_parse_bytes ? "size" : "timespan");
	return 0;
}

/* A timespan that the history keeps in whole seconds of 32 bits. */
static int level_secs(struct parser *p, const char *what, const char *val,
		      uint32_t *out)
{
	uint64_t usec;

	if (mtd_parse_timespan(val, &usec))
		return fail(p, "HistoryLevels=: %s \"%s\" is not a timespan",
			    what, val);
	if (usec % USEC_PER_SEC || usec / USEC_PER_SEC > UINT32_MAX)
		return fail(p, "HistoryLevels=: %s \"%s\" is not a whole number of seconds below 2^32",
			    what, val);
	*out = (uint32_t)(usec / USEC_PER_SEC);
	return 0;
}

static int history_levels(struct parser *p, const char *val)
{
	char buf[LINE_MAX_BYTES + 1], *tok, *save, *colon;
	struct mtd_history_config h;
	struct mtd_history_level *l;

	mtd_history_config_default(&h);
	h.memory_max = p->cfg->history.memory_max;
	if (*val)
		h.n_levels = 0;
	snprintf(buf, sizeof(buf), "%s", val);
	for (tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (h.n_levels == MTD_HISTORY_MAX_LEVELS)
			return fail(p, "HistoryLevels=: more than %d levels",
				    MTD_HISTORY_MAX_LEVELS);
		colon = strchr(tok, ':');
		if (!colon)
			return fail(p, "HistoryLevels=: \"%s\" is not step:retention",
				    tok);
		*colon = '\0';
		l = &h.level[h.n_levels];
		if (level_secs(p, "step", tok, &l->step_sec) ||
		    level_secs(p, "retention", colon + 1, &l->retention_sec))
			return -EINVAL;
		if (!l->step_sec)
			return fail(p, "HistoryLevels=: step \"%s\" is not at least 1s",
				    tok);
		if (!l->retention_sec || l->retention_sec % l->step_sec)
			return fail(p, "HistoryLevels=: retention \"%s\" is not a multiple of step \"%s\"",
				    colon + 1, tok);
		if (h.n_levels && l->step_sec <= h.level[h.n_levels - 1].step_sec)
			return fail(p, "HistoryLevels=: step \"%s\" is not longer than the one before",
				    tok);
		h.n_levels++;
	}
	p->cfg->history = h;
	return 0;
}

static int daemon_key(struct parser *p, const char *key, const char *val)
{
	const struct daemon_span *ds;
	struct mtd_config *c = p->cfg;
	struct mtd_history_config def;
	uint64_t u;
	char *s = NULL;
	size_t i;

	/* As in systemd, an empty value puts a [Daemon] key back to its default. */
	for (ds = daemon_spans; ds < daemon_spans + ARRAY_SIZE(daemon_spans); ds++) {
		if (strcmp(key, ds->key))
			continue;
		u = ds->def;
		if (*val && num_value(p, key, val, mtd_parse_timespan, &u))
			return -EINVAL;
		if (u < USEC_PER_SEC && !(u == 0 && ds->zero_is_off))
			return fail(p, "%s=: \"%s\" is not at least 1s%s", key,
				    val, ds->zero_is_off ? " (or 0 for off)" : "");
		*span_field(c, ds) = u;
		return 0;
	}
	if (!strcmp(key, "HistoryLevels")) {
		p->history_line = p->line;
		p->history_key = "HistoryLevels";
		return history_levels(p, val);
	}
	if (!strcmp(key, "HistoryMemoryMax")) {
		p->history_line = p->line;
		p->history_key = "HistoryMemoryMax";
		mtd_history_config_default(&def);
		u = def.memory_max;
		if (*val && num_value(p, key, val, mtd_parse_bytes, &u))
			return -EINVAL;
		if (!u)
			return fail(p, "%s=: must be above 0", key);
		c->history.memory_max = u;
		return 0;
	}
	if (!strcmp(key, "EventBufferBytes")) {
		u = MTD_EVENT_BUFFER_DEFAULT;
		if (*val && num_value(p, key, val, mtd_parse_bytes, &u))
			return -EINVAL;
		if (u < 4096 || u > INT_MAX / 2)
			return fail(p, "%s=: \"%s\" is not between 4K and 1G",
				    key, val);
		c->event_buffer_bytes = u;
		return 0;
	}
	if (!strcmp(key, "PropertiesChangedMaxPerSec")) {
		/* Stop growing past the limit: no overflow, still too big. */
		for (i = 0, u = 0; is_digit(val[i]); i++)
			if (u <= PROPS_MAX_PER_SEC)
				u = u * 10 + (uint64_t)(val[i] - '0');
		if (!*val)
			u = 4;
		else if (!i || val[i])
			return fail(p, "%s=: \"%s\" is not a number", key, val);
		if (!u || u > PROPS_MAX_PER_SEC)
			return fail(p, "%s=: \"%s\" is not between 1 and %d",
				    key, val, PROPS_MAX_PER_SEC);
		c->props_changed_max_per_sec = (unsigned int)u;
		return 0;
	}
	if (!strcmp(key, "PrometheusFile")) {
		if (*val && (val[0] != '/' || val[strlen(val) - 1] == '/'))
			return fail(p, "%s=: \"%s\" is not an absolute file name",
				    key, val);
		if (*val && !(s = strdup(val)))
			return oom(p);
		free(c->prometheus_file);
		c->prometheus_file = s;
		return 0;
	}
	return fail(p, "unknown key %s= in [Daemon]", key);
}

/* Raise= or Clear=: a size or a percentage, the same kind as the other. */
static int level_value(struct parser *p, enum rule_key k, const char *val)
{
	struct mtd_rule *r = &p->rule;
	bool is_raise = k == RK_RAISE;
	bool *pct = is_raise ? &p->raise_pct : &p->clear_pct;
	bool other_pct = is_raise ? p->clear_pct : p->raise_pct;
	uint64_t *out = is_raise ? &r->raise : &r->clear;
	const char *other = rule_keys[is_raise ? RK_CLEAR : RK_RAISE];
	size_t n = strlen(val);
	int ret;

	*pct = n && val[n - 1] == '%';
	if (*pct) {
		ret = parse_percent(val, out);
		if (ret == -ERANGE)
			return fail(p, "%s=: \"%s\" is not above 0%% and at most 100%%",
				    rule_keys[k], val);
		if (ret)
			return fail(p, "%s=: \"%s\" is not a percentage",
				    rule_keys[k], val);
	} else if (num_value(p, rule_keys[k], val, mtd_parse_bytes, out)) {
		return -EINVAL;
	}
	if (p->key_line[is_raise ? RK_CLEAR : RK_RAISE] && other_pct != *pct)
		return fail(p, "%s=: \"%s\" is a %s but %s= is a %s",
			    rule_keys[k], val, *pct ? "percentage" : "size",
			    other, other_pct ? "percentage" : "size");
	/* Zero bytes would be "always raised", which no one means. */
	if (is_raise && !*out)
		return fail(p, "Raise=: must be above 0");
	r->has_clear |= !is_raise;
	return 0;
}

static int rule_key(struct parser *p, const char *key, const char *val)
{
	struct mtd_rule *r = &p->rule;
	const char *s;
	int k;

	for (k = 0; k < RK_COUNT && strcmp(key, rule_keys[k]); k++)
		;
	if (k == RK_COUNT)
		return fail(p, "unknown key %s= in [Rule]", key);
	/* One section is one rule: saying a thing twice is a slip. */
	if (p->key_line[k])
		return fail(p, "%s= given twice in one [Rule] (first on line %u)",
			    key, p->key_line[k]);
	switch (k) {
	case RK_NAME:
		if (!*val || strlen(val) >= MTD_RULE_NAME_MAX)
			return fail(p, "Name=: \"%s\" is not 1 to %d characters long",
				    val, MTD_RULE_NAME_MAX - 1);
		for (s = val; *s; s++)
			if (!is_alpha(*s) && !is_digit(*s) && !strchr("_.-", *s))
				return fail(p, "Name=: \"%s\" has characters other than A-Z a-z 0-9 _ . -",
					    val);
		strcpy(r->name, val);
		break;
	case RK_MATCH:
		if (!*val)
			return fail(p, "Match=: empty pattern");
		if (!(r->match = strdup(val)))
			return oom(p);
		break;
	case RK_RAISE:
	case RK_CLEAR:
		if (level_value(p, k, val))
			return -EINVAL;
		break;
	case RK_PERCENT_OF:
		if (!strcmp(val, "MemTotal"))
			p->percent_of = MTD_PERCENT_OF_MEMTOTAL;
		else if (!strcmp(val, "parent"))
			p->percent_of = MTD_PERCENT_OF_PARENT;
		else
			return fail(p, "PercentOf=: \"%s\" is not MemTotal or parent",
				    val);
		break;
	case RK_SEVERITY:
		if (!strcmp(val, "warning"))
			r->severity = MTD_SEVERITY_WARNING;
		else if (!strcmp(val, "critical"))
			r->severity = MTD_SEVERITY_CRITICAL;
		else
			return fail(p, "Severity=: \"%s\" is not warning or critical",
				    val);
		break;
	default:
		if (num_value(p, key, val, mtd_parse_timespan,
			      k == RK_RAISE_AFTER ? &r->raise_after_usec :
			      k == RK_CLEAR_AFTER ? &r->clear_after_usec :
			      &r->repeat_usec))
			return -EINVAL;
		break;
	}
	p->key_line[k] = p->line;
	return 0;
}

static void rule_reset(struct parser *p)
{
	rule_free(&p->rule);
	memset(&p->rule, 0, sizeof(p->rule));
	p->rule.severity = MTD_SEVERITY_WARNING;
	memset(p->key_line, 0, sizeof(p->key_line));
	p->raise_pct = p->clear_pct = false;
	p->percent_of = MTD_PERCENT_OF_NONE;
}

/* The [Rule] is complete: settle PercentOf= and add or replace it. */
static int rule_end(struct parser *p)
{
	struct mtd_config *c = p->cfg;
	struct mtd_rule *r = &p->rule, *slot = NULL, *rules;
	bool pct = p->key_line[RK_RAISE] ? p->raise_pct : p->clear_pct;
	size_t i;

	if (p->key_line[RK_PERCENT_OF] && !pct &&
	    (p->key_line[RK_RAISE] || p->key_line[RK_CLEAR])) {
		p->line = p->key_line[RK_PERCENT_OF];
		return fail(p, "PercentOf=: only meaningful with a percentage Raise=");
	}
	if (pct)
		r->percent_of = p->percent_of ? p->percent_of :
			MTD_PERCENT_OF_MEMTOTAL;
	for (i = 0; r->name[0] && i < c->n_rules && !slot; i++) {
		if (strcmp(c->rules[i].name, r->name))
			continue;
		/* Overriding is what drop-ins are for; in one file it is a slip. */
		if (c->rules[i].file && !strcmp(c->rules[i].file, p->file)) {
			p->line = p->key_line[RK_NAME];
			return fail(p, "Name=: rule \"%s\" is already defined on line %u",
				    r->name, c->rules[i].line);
		}
		slot = &c->rules[i];
	}
	if (!(r->file = strdup(p->file)))
		return oom(p);
	if (slot) {
		rule_free(slot);
	} else {
		rules = realloc(c->rules, (c->n_rules + 1) * sizeof(*rules));
		if (!rules)
			return oom(p);
		c->rules = rules;
		slot = &c->rules[c->n_rules++];
	}
	/* The slot takes over match and file. */
	*slot = *r;
	memset(r, 0, sizeof(*r));
	rule_reset(p);
	return 0;
}

static int section_end(struct parser *p)
{
	enum section s = p->section;

	p->section = SECTION_NONE;
	return s == SECTION_RULE ? rule_end(p) : 0;
}

static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int parse_line(struct parser *p, char *l)
{
	unsigned int line = p->line;
	char *eq, *key, *val;
	size_t n;

	l = trim(l);
	if (!*l || *l == '#' || *l == ';')
		return 0;
	if (*l == '[') {
		n = strlen(l);
		if (n < 2 || l[n - 1] != ']')
			return fail(p, "\"%s\" is not a [Section] header", l);
		l[n - 1] = '\0';
		if (section_end(p))
			return -EINVAL;
		p->line = line;
		if (!strcmp(l + 1, "Daemon"))
			p->section = SECTION_DAEMON;
		else if (!strcmp(l + 1, "Rule"))
			p->section = SECTION_RULE;
		else
			return fail(p, "unknown section [%s]", l + 1);
		rule_reset(p);
		p->rule.line = line;
		return 0;
	}
	eq = strchr(l, '=');
	if (!eq)
		return fail(p, "\"%s\" is not Key=Value", l);
	*eq = '\0';
	key = trim(l);
	val = trim(eq + 1);
	if (!*key)
		return fail(p, "\"=%s\" has no key", val);
	if (p->section == SECTION_DAEMON)
		return daemon_key(p, key, val);
	if (p->section == SECTION_RULE)
		return rule_key(p, key, val);
	return fail(p, "%s= is outside of a [Daemon] or [Rule] section", key);
}

int mtd_config_parse_text(struct mtd_config *cfg, const char *file,
			  const char *text, size_t len, char *err,
			  size_t errlen)
{
	struct parser p = {
		.cfg = cfg, .file = file ? file : "(text)",
		.err = err, .errlen = errlen,
	};
	char buf[LINE_MAX_BYTES + 1];
	const char *nl;
	size_t pos = 0, n;
	int r = 0;

	if (!text)
		len = 0;
	/* Editors on other systems like to put a byte order mark first. */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		pos = 3;
	rule_reset(&p);
	while (pos < len && !r) {
		nl = memchr(text + pos, '\n', len - pos);
		n = nl ? (size_t)(nl - text) - pos : len - pos;
		p.line++;
		if (n > LINE_MAX_BYTES) {
			r = fail(&p, "line is longer than %d bytes",
				 LINE_MAX_BYTES);
		} else if (memchr(text + pos, '\0', n)) {
			r = fail(&p, "line contains a NUL byte");
		} else {
			memcpy(buf, text + pos, n);
			buf[n] = '\0';
			r = parse_line(&p, buf);
		}
		pos += n + 1;
	}
	if (!r)
		r = section_end(&p);
	/* Here, not per key, so that the order of the two keys is free. */
	if (!r && p.history_line && mtd_history_config_check(&cfg->history)) {
		p.line = p.history_line;
		r = fail(&p, "%s=: HistoryLevels= and HistoryMemoryMax= do not make a usable history",
			 p.history_key);
	}
	rule_reset(&p);
	return r;
}

int mtd_config_validate(struct mtd_config *cfg, char *err, size_t errlen)
{
	const struct mtd_rule *r;
	const char *f;
	size_t i;

	for (i = 0; i < cfg->n_rules; i++) {
		r = &cfg->rules[i];
		f = r->file ? r->file : "(rule)";
		if (!r->name[0])
			return errf(err, errlen, "%s:%u: [Rule] has no Name=",
				    f, r->line);
		if (!r->match || !*r->match)
			return errf(err, errlen, "%s:%u: rule \"%s\" has no Match=",
				    f, r->line, r->name);
		if (!r->raise)
			return errf(err, errlen, "%s:%u: rule \"%s\" has no Raise=",
				    f, r->line, r->name);
		if (r->percent_of != MTD_PERCENT_OF_NONE &&
		    (r->raise > 10000 ||
		     (r->has_clear && (!r->clear || r->clear > 10000))))
			return errf(err, errlen, "%s:%u: rule \"%s\": a percentage is not above 0%% and at most 100%%",
				    f, r->line, r->name);
		if (r->has_clear && r->clear >= r->raise)
			return errf(err, errlen, "%s:%u: rule \"%s\": Clear= is not below Raise=",
				    f, r->line, r->name);
	}
	/* Files were checked as they were read; this guards hand-made configs. */
	if (mtd_history_config_check(&cfg->history))
		return errf(err, errlen, "HistoryLevels= and HistoryMemoryMax= do not make a usable history");
	return 0;
}
