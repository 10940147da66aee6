// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit test of the alert state machine and of threshold resolution, with
 * an injected clock.  TAP output.  Every expected value is written out by
 * hand, never taken from the code under test.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alerts.h"

#define SEC 1000000ULL
#define NEVER UINT64_MAX

struct tap {
	int n;
	int failed;
};

__attribute__((format(printf, 3, 4)))
static bool check(struct tap *t, bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++t->n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	t->failed += !cond;
	return cond;
}

static const char *const act_names[] = { "none", "raise", "clear", "repeat" };
static const char *const state_names[] = {
	"idle", "pending-raise", "raised", "pending-clear",
};

/* One fixture: a rule's durations, resolved thresholds, and the alert. */
struct fx {
	struct tap *t;
	struct mtd_rule rule;
	struct mtd_thresholds th;
	struct mtd_alert a;
	const char *name;
};

static void fx_init(struct fx *f, struct tap *t, const char *name,
		    uint64_t raise, uint64_t clear, uint64_t raise_after,
		    uint64_t clear_after, uint64_t repeat)
{
	memset(f, 0, sizeof(*f));
	f->t = t;
	f->name = name;
	f->th.raise = raise;
	f->th.clear = clear;
	f->rule.raise_after_usec = raise_after;
	f->rule.clear_after_usec = clear_after;
	f->rule.repeat_usec = repeat;
}

static void step(struct fx *f, uint64_t now, uint64_t value,
		 enum mtd_alert_action want, enum mtd_alert_state want_state,
		 uint64_t want_next, const char *what)
{
	enum mtd_alert_action act;
	uint64_t next = 12345;

	act = mtd_alert_step(&f->rule, &f->th, &f->a, value, now, &next);
	check(f->t, act == want && f->a.state == want_state && next == want_next,
	      "%s: %s (t=%llu v=%llu: want %s/%s next %llu, got %s/%s next %llu)",
	      f->name, what, (unsigned long long)now,
	      (unsigned long long)value, act_names[want],
	      state_names[want_state], (unsigned long long)want_next,
	      act_names[act], state_names[f->a.state],
	      (unsigned long long)next);
}

static void test_immediate(struct tap *t)
{
	struct fx f;

	fx_init(&f, t, "immediate", 100, 80, 0, 0, 0);
	step(&f, 10, 0, MTD_ALERT_NONE, MTD_ALERT_IDLE, NEVER, "zero is idle");
	step(&f, 11, 99, MTD_ALERT_NONE, MTD_ALERT_IDLE, NEVER,
	     "raise-1 does not raise");
	step(&f, 12, 100, MTD_ALERT_RAISE, MTD_ALERT_RAISED, NEVER,
	     "value == raise raises in the same call");
	check(t, f.a.raised_usec == 12 && f.a.reported_usec == 12,
	      "immediate: raise time and report time recorded");
	step(&f, 13, 5000, MTD_ALERT_NONE, MTD_ALERT_RAISED, NEVER,
	     "higher value: no new report");
	step(&f, 14, 81, MTD_ALERT_NONE, MTD_ALERT_RAISED, NEVER,
	     "clear+1 stays raised (hysteresis)");
	step(&f, 15, 99, MTD_ALERT_NONE, MTD_ALERT_RAISED, NEVER,
	     "raise-1 stays raised (hysteresis)");
	step(&f, 16, 80, MTD_ALERT_CLEAR, MTD_ALERT_IDLE, NEVER,
	     "value == clear clears in the same call");
	step(&f, 17, 81, MTD_ALERT_NONE, MTD_ALERT_IDLE, NEVER,
	     "between clear and raise stays idle");
	step(&f, 18, 99, MTD_ALERT_NONE, MTD_ALERT_IDLE, NEVER,
	     "raise-1 stays idle");
	step(&f, 19, 100, MTD_ALERT_RAISE, MTD_ALERT_RAISED, NEVER,
	     "raises again");
	step(&f, 20, 0, MTD_ALERT_CLEAR, MTD_ALERT_IDLE, NEVER,
	     "zero clears");
}

static void test_raise_after(struct tap *t)
{
	const uint64_t t0 = 1000;
	struct fx f;

	fx_init(&f, t, "raise-after", 100, 80, 10 * SEC, 0, 0);
	step(&f, t0, 100, MTD_ALERT_NONE, MTD_ALERT_PENDING_RAISE,
	     t0 + 10 * SEC, "value == raise starts pending");
	check(t, f.a.since_usec == t0, "raise-after: pending since t0");
	step(&f, t0 + 10 * SEC - 1, 150, MTD_ALERT_NONE,
	     MTD_ALERT_PENDING_RAISE, t0 + 10 * SEC, "1 us early: still pending");
	step(&f, t0 + 10 * SEC, 100, MTD_ALERT_RAISE, MTD_ALERT_RAISED, NEVER,
	     "raises exactly after RaiseAfterSec");
	check(t, f.a.raised_usec == t0 + 10 * SEC &&
	      f.a.reported_usec == t0 + 10 * SEC,
	      "raise-after: raised at the ripening call");

	fx_init(&f, t, "raise-after fallback", 100, 80, 10 * SEC, 0, 0);
	step(&f, 0, 100, MTD_ALERT_NONE, MTD_ALERT_PENDING_RAISE, 10 * SEC,
	     "pending");
	step(&f, 5 * SEC, 99, MTD_ALERT_NONE, MTD_ALERT_IDLE, NEVER,
	     "raise-1 falls back to idle");
	step(&f, 6 * SEC, 100, MTD_ALERT_NONE, MTD_ALERT_PENDING_RAISE,
	     16 * SEC, "pending again, the wait starts over");
	step(&f, 10 * SEC, 100, MTD_ALERT_NONE, MTD_ALERT_PENDING_RAISE,
	     16 * SEC, "the old deadline does not count");
	step(&f, 16 * SEC, 100, MTD_ALERT_RAISE, MTD_ALERT_RAISED, NEVER,
	     "raises at the new deadline");

	fx_init(&f, t, "raise-after late call", 100, 80, 10 * SEC, 0, 0);
	step(&f, 0, 200, MTD_ALERT_NONE, MTD_ALERT_PENDING_RAISE, 10 * SEC,
	     "pending");
	step(&f, 25 * SEC, 200, MTD_ALERT_RAISE, MTD_ALERT_RAISED, NEVER,
	     "a late call raises");
	check(t, f.a.raised_usec == 25 * SEC,
	      "raise-after late call: raised when reported");

	fx_init(&f, t, "clock back", 100, 80, 10 * SEC, 0, 0);
	step(&f, 100 * SEC, 100, MTD_ALERT_NONE, MTD_ALERT_PENDING_RAISE,
	     110 * SEC, "pending");
	step(&f, 50 * SEC, 100, MTD_ALERT_NONE, MTD_ALERT_PENDING_RAISE,
	     110 * SEC, "a clock that steps back does not ripen it");

	fx_init(&f, t, "huge raise-after", 100, 80, UINT64_MAX, 0, 0);
	step(&f, 5, 100, MTD_ALERT_NONE, MTD_ALERT_PENDING_RAISE, NEVER,
	     "deadline saturates");
	step(&f, UINT64_MAX - 1, 100, MTD_ALERT_NONE, MTD_ALERT_PENDING_RAISE,
	     NEVER, "never ripens");
}

static void test_clear_after(struct tap *t)
{
	struct fx f;

	fx_init(&f, t, "clear-after", 100, 80, 0, 5 * SEC, 0);
	step(&f, 0, 100, MTD_ALERT_RAISE, MTD_ALERT_RAISED, NEVER, "raised");
	step(&f, 1 * SEC, 80, MTD_ALERT_NONE, MTD_ALERT_PENDING_CLEAR,
	     6 * SEC, "value == clear starts pending-clear");
	step(&f, 2 * SEC, 81, MTD_ALERT_NONE, MTD_ALERT_RAISED, NEVER,
	     "clear+1 goes back to raised without a report");
	check(t, f.a.raised_usec == 0 && f.a.reported_usec == 0 &&
	      f.a.since_usec == 0,
	      "clear-after: raised since the raise, report time kept");
	step(&f, 3 * SEC, 50, MTD_ALERT_NONE, MTD_ALERT_PENDING_CLEAR,
	     8 * SEC, "pending-clear again, the wait starts over");
	step(&f, 6 * SEC, 50, MTD_ALERT_NONE, MTD_ALERT_PENDING_CLEAR,
	     8 * SEC, "the old deadline does not count");
	step(&f, 8 * SEC - 1, 0, MTD_ALERT_NONE, MTD_ALERT_PENDING_CLEAR,
	     8 * SEC, "1 us early: still pending");
	step(&f, 8 * SEC, 80, MTD_ALERT_CLEAR, MTD_ALERT_IDLE, NEVER,
	     "clears exactly after ClearAfterSec");
	step(&f, 9 * SEC, 100, MTD_ALERT_RAISE, MTD_ALERT_RAISED, NEVER,
	     "raises again");
	step(&f, 10 * SEC, 10, MTD_ALERT_NONE, MTD_ALERT_PENDING_CLEAR,
	     15 * SEC, "pending-clear");
	step(&f, 11 * SEC, 100, MTD_ALERT_NONE, MTD_ALERT_RAISED, NEVER,
	     "value == raise in pending-clear: raised, no new raise");
}

static void test_repeat(struct tap *t)
{
	const uint64_t t0 = 1000;
	struct fx f;

	fx_init(&f, t, "repeat", 100, 80, 0, 0, 60 * SEC);
	step(&f, t0, 100, MTD_ALERT_RAISE, MTD_ALERT_RAISED, t0 + 60 * SEC,
	     "raise asks to be called at the first repeat");
	step(&f, t0 + 60 * SEC - 1, 100, MTD_ALERT_NONE, MTD_ALERT_RAISED,
	     t0 + 60 * SEC, "1 us before the repeat: nothing");
	step(&f, t0 + 60 * SEC, 100, MTD_ALERT_REPEAT, MTD_ALERT_RAISED,
	     t0 + 120 * SEC, "repeat at exactly one interval");
	check(t, f.a.reported_usec == t0 + 60 * SEC && f.a.raised_usec == t0,
	      "repeat: report time moves, raise time stays");
	step(&f, t0 + 120 * SEC, 90, MTD_ALERT_REPEAT, MTD_ALERT_RAISED,
	     t0 + 180 * SEC, "repeat at exactly two intervals, in hysteresis");
	step(&f, t0 + 190 * SEC, 100, MTD_ALERT_REPEAT, MTD_ALERT_RAISED,
	     t0 + 250 * SEC, "a late call repeats once, next counts from it");
	step(&f, t0 + 191 * SEC, 100, MTD_ALERT_NONE, MTD_ALERT_RAISED,
	     t0 + 250 * SEC, "no second repeat for the same interval");
	step(&f, t0 + 200 * SEC, 80, MTD_ALERT_CLEAR, MTD_ALERT_IDLE, NEVER,
	     "clear ends the repeats");
	step(&f, t0 + 400 * SEC, 79, MTD_ALERT_NONE, MTD_ALERT_IDLE, NEVER,
	     "nothing while idle");

	fx_init(&f, t, "repeat+clear-after", 100, 80, 0, 100 * SEC, 60 * SEC);
	step(&f, 0, 100, MTD_ALERT_RAISE, MTD_ALERT_RAISED, 60 * SEC, "raised");
	step(&f, 30 * SEC, 80, MTD_ALERT_NONE, MTD_ALERT_PENDING_CLEAR,
	     60 * SEC, "pending-clear: next is the repeat, the earlier one");
	step(&f, 60 * SEC, 80, MTD_ALERT_REPEAT, MTD_ALERT_PENDING_CLEAR,
	     120 * SEC, "repeat while pending-clear");
	step(&f, 120 * SEC, 80, MTD_ALERT_REPEAT, MTD_ALERT_PENDING_CLEAR,
	     130 * SEC, "repeat again; next is the clear deadline");
	step(&f, 130 * SEC, 80, MTD_ALERT_CLEAR, MTD_ALERT_IDLE, NEVER,
	     "clear wins at its deadline");

	fx_init(&f, t, "repeat+both", 100, 80, 10 * SEC, 100 * SEC, 60 * SEC);
	step(&f, 0, 100, MTD_ALERT_NONE, MTD_ALERT_PENDING_RAISE, 10 * SEC,
	     "pending-raise: no repeat deadline yet");
	step(&f, 10 * SEC, 100, MTD_ALERT_RAISE, MTD_ALERT_RAISED, 70 * SEC,
	     "repeats count from the raise");
	step(&f, 69 * SEC, 0, MTD_ALERT_NONE, MTD_ALERT_PENDING_CLEAR,
	     70 * SEC, "pending-clear 1 s before the repeat");
	step(&f, 70 * SEC, 100, MTD_ALERT_REPEAT, MTD_ALERT_RAISED, 130 * SEC,
	     "back to raised and repeat in one call");
	step(&f, 130 * SEC, 80, MTD_ALERT_REPEAT, MTD_ALERT_PENDING_CLEAR,
	     190 * SEC, "repeat due as pending-clear starts");
	step(&f, 230 * SEC, 80, MTD_ALERT_CLEAR, MTD_ALERT_IDLE, NEVER,
	     "clear due and repeat overdue: clear only");
}

static void test_odd_thresholds(struct tap *t)
{
	struct fx f;

	fx_init(&f, t, "never", NEVER, NEVER, 0, 0, 0);
	step(&f, 1, UINT64_MAX, MTD_ALERT_NONE, MTD_ALERT_IDLE, NEVER,
	     "UINT64_MAX raise never raises, even at UINT64_MAX");
	fx_init(&f, t, "became never", 100, 80, 0, 0, 10 * SEC);
	step(&f, 1, 100, MTD_ALERT_RAISE, MTD_ALERT_RAISED, 1 + 10 * SEC,
	     "raised");
	f.th.raise = f.th.clear = NEVER;
	step(&f, 2, 5000, MTD_ALERT_CLEAR, MTD_ALERT_IDLE, NEVER,
	     "thresholds that became never clear a raised alert");

	/* Percent rounding can make clear reach raise. */
	fx_init(&f, t, "clear == raise", 10, 10, 0, 0, 0);
	step(&f, 1, 10, MTD_ALERT_RAISE, MTD_ALERT_RAISED, NEVER, "raised");
	step(&f, 2, 10, MTD_ALERT_NONE, MTD_ALERT_RAISED, NEVER,
	     "a value at raise does not clear");
	step(&f, 3, 9, MTD_ALERT_CLEAR, MTD_ALERT_IDLE, NEVER,
	     "below both clears");

	fx_init(&f, t, "raise 0", 0, 0, 0, 0, 0);
	step(&f, 1, 0, MTD_ALERT_RAISE, MTD_ALERT_RAISED, NEVER,
	     "raise 0 raises at 0");
	step(&f, 2, 0, MTD_ALERT_NONE, MTD_ALERT_RAISED, NEVER,
	     "and never clears");
}

static void thresholds(struct tap *t, const char *what,
		       enum mtd_percent_of of, uint64_t raise, bool has_clear,
		       uint64_t clear, uint64_t parent, uint64_t memtotal,
		       uint64_t want_raise, uint64_t want_clear)
{
	struct mtd_rule r;
	struct mtd_thresholds th = { 1, 2 };

	memset(&r, 0, sizeof(r));
	r.percent_of = of;
	r.raise = raise;
	r.has_clear = has_clear;
	r.clear = clear;
	mtd_rule_thresholds(&r, parent, memtotal, &th);
	check(t, th.raise == want_raise && th.clear == want_clear,
	      "thresholds: %s (want %llu/%llu, got %llu/%llu)", what,
	      (unsigned long long)want_raise, (unsigned long long)want_clear,
	      (unsigned long long)th.raise, (unsigned long long)th.clear);
}

static void test_thresholds(struct tap *t)
{
	const enum mtd_percent_of none = MTD_PERCENT_OF_NONE;
	const enum mtd_percent_of mem = MTD_PERCENT_OF_MEMTOTAL;
	const enum mtd_percent_of par = MTD_PERCENT_OF_PARENT;

	thresholds(t, "absolute with Clear", none, 268435456, true, 209715200,
		   5, 7, 268435456, 209715200);
	thresholds(t, "absolute, Clear 0", none, 100, true, 0, 5, 7, 100, 0);
	thresholds(t, "absolute without Clear: below raise", none, 100, false,
		   0, 5, 7, 100, 99);
	thresholds(t, "absolute raise 1 without Clear", none, 1, false, 0, 0,
		   0, 1, 0);
	thresholds(t, "absolute raise 0 without Clear", none, 0, false, 0, 0,
		   0, 0, 0);
	thresholds(t, "absolute ignores parent 0", none, 100, false, 0, 0, 0,
		   100, 99);
	thresholds(t, "80% of MemTotal 1000", mem, 8000, false, 0, 5, 1000,
		   800, 799);
	thresholds(t, "80.5%/60% of MemTotal 1000", mem, 8050, true, 6000, 5,
		   1000, 805, 600);
	thresholds(t, "33.33% of 1000 rounds raise up", mem, 3333, false, 0,
		   5, 1000, 334, 333);
	thresholds(t, "50%/33.33% of 1001: raise up, clear down", mem, 5000,
		   true, 3333, 5, 1001, 501, 333);
	thresholds(t, "1% of 1 byte", mem, 100, false, 0, 0, 1, 1, 0);
	thresholds(t, "50% of parent 1001", par, 5000, true, 2500, 1001, 7,
		   501, 250);
	thresholds(t, "percent of parent 0 never raises", par, 5000, true,
		   2500, 0, 1000, NEVER, NEVER);
	thresholds(t, "percent of MemTotal 0 never raises", mem, 5000, false,
		   0, 1000, 0, NEVER, NEVER);
	thresholds(t, "100% of UINT64_MAX", par, 10000, false, 0, UINT64_MAX,
		   0, 18446744073709551615ULL, 18446744073709551614ULL);
	thresholds(t, "99.99%/50% of UINT64_MAX", par, 9999, true, 5000,
		   UINT64_MAX, 0, 18444899399302180660ULL,
		   9223372036854775807ULL);
	thresholds(t, "0.01%/0.01% of UINT64_MAX", mem, 1, true, 1, 0,
		   UINT64_MAX, 1844674407370956ULL, 1844674407370955ULL);
	thresholds(t, "hand-made 200%/150% saturates", mem, 20000, true,
		   15000, 0, UINT64_MAX, NEVER, NEVER);
	thresholds(t, "hand-made 200% of 3", par, 20000, false, 0, 3, 0, 6, 5);
}

int main(void)
{
	struct tap t = { 0, 0 };

	test_immediate(&t);
	test_raise_after(&t);
	test_clear_after(&t);
	test_repeat(&t);
	test_odd_thresholds(&t);
	test_thresholds(&t);
	printf("1..%d\n", t.n);
	return t.failed ? 1 : 0;
}
