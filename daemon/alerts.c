// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Threshold state machine of one (rule, node) pair.  No clock and no
 * I/O: the manager feeds values and times and arms a timer for next_usec,
 * so every boundary can be tested exactly.
 */
#include "alerts.h"

/*
 * Percentages resolve so that the comparisons stay exact: "at or above
 * p%" is value * 10000 >= base * p, i.e. value >= ceil(base * p / 10000),
 * and "at or below c%" is value <= floor(base * c / 10000).  The product
 * needs 128 bits; a result past 64 bits (only from a hand-built rule over
 * 100%) saturates.
 */
static uint64_t percent_of(uint64_t base, uint64_t pct, bool round_up)
{
	unsigned __int128 v = (unsigned __int128)base * pct;

	v = round_up ? (v + 9999) / 10000 : v / 10000;
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

void mtd_rule_thresholds(const struct mtd_rule *rule, uint64_t parent_bytes,
			 uint64_t memtotal, struct mtd_thresholds *out)
{
	uint64_t base;

	switch (rule->percent_of) {
	case MTD_PERCENT_OF_NONE:
		out->raise = rule->raise;
		out->clear = rule->clear;
		if (!rule->has_clear)
			out->clear = rule->raise ? rule->raise - 1 : 0;
		return;
	case MTD_PERCENT_OF_PARENT:
		base = parent_bytes;
		break;
	default:
		base = memtotal;
		break;
	}
	/*
	 * Nothing to take a share of (a root, an empty parent, MemTotal not
	 * known yet): never raise, and let a raised alert clear.
	 */
	if (!base) {
		out->raise = UINT64_MAX;
		out->clear = UINT64_MAX;
		return;
	}
	out->raise = percent_of(base, rule->raise, true);
	if (rule->has_clear)
		out->clear = percent_of(base, rule->clear, false);
	else
		out->clear = out->raise ? out->raise - 1 : 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* A clock that steps back must not look like a long wait. */
static uint64_t elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static bool above_raise(const struct mtd_thresholds *th, uint64_t value)
{
	return th->raise != UINT64_MAX && value >= th->raise;
}

/*
 * Clearing also needs the value below raise: rounding of a percentage
 * can make clear reach raise, and a value that would raise again at
 * once must not clear.
 */
static bool below_clear(const struct mtd_thresholds *th, uint64_t value)
{
	return value <= th->clear && !above_raise(th, value);
}

static uint64_t next_repeat(const struct mtd_rule *rule,
			    const struct mtd_alert *a)
{
	return rule->repeat_usec ? add_sat(a->reported_usec, rule->repeat_usec)
				 : UINT64_MAX;
}

enum mtd_alert_action mtd_alert_step(const struct mtd_rule *rule,
				     const struct mtd_thresholds *th,
				     struct mtd_alert *a, uint64_t value,
				     uint64_t now_usec, uint64_t *next_usec)
{
	enum mtd_alert_action act = MTD_ALERT_NONE;
	uint64_t next = UINT64_MAX, t;

	switch (a->state) {
	case MTD_ALERT_IDLE:
		if (!above_raise(th, value))
			break;
		a->state = MTD_ALERT_PENDING_RAISE;
		a->since_usec = now_usec;
		/* RaiseAfterSec=0 raises in this very call. */
		__attribute__((__fallthrough__));
	case MTD_ALERT_PENDING_RAISE:
		if (!above_raise(th, value)) {
			a->state = MTD_ALERT_IDLE;
			a->since_usec = now_usec;
			break;
		}
		if (elapsed(now_usec, a->since_usec) < rule->raise_after_usec) {
			next = add_sat(a->since_usec, rule->raise_after_usec);
			break;
		}
		a->state = MTD_ALERT_RAISED;
		a->since_usec = now_usec;
		a->raised_usec = now_usec;
		a->reported_usec = now_usec;
		act = MTD_ALERT_RAISE;
		next = next_repeat(rule, a);
		break;
	case MTD_ALERT_RAISED:
		if (below_clear(th, value)) {
			a->state = MTD_ALERT_PENDING_CLEAR;
			a->since_usec = now_usec;
		}
		/* ClearAfterSec=0 clears in this very call. */
		__attribute__((__fallthrough__));
	case MTD_ALERT_PENDING_CLEAR:
		if (a->state == MTD_ALERT_PENDING_CLEAR) {
			if (!below_clear(th, value)) {
				/* Still the same alert: no new report. */
				a->state = MTD_ALERT_RAISED;
				a->since_usec = a->raised_usec;
			} else if (elapsed(now_usec, a->since_usec) >=
				   rule->clear_after_usec) {
				a->state = MTD_ALERT_IDLE;
				a->since_usec = now_usec;
				act = MTD_ALERT_CLEAR;
				break;
			}
		}
		if (rule->repeat_usec &&
		    elapsed(now_usec, a->reported_usec) >= rule->repeat_usec) {
			a->reported_usec = now_usec;
			act = MTD_ALERT_REPEAT;
		}
		next = next_repeat(rule, a);
		if (a->state == MTD_ALERT_PENDING_CLEAR) {
			t = add_sat(a->since_usec, rule->clear_after_usec);
			next = t < next ? t : next;
		}
		break;
	}
	*next_usec = next;
	return act;
}
