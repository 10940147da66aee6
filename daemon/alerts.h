/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The threshold state machine of one (rule, node) pair.  Pure logic with
 * an injected clock: the caller passes "now" and gets back the action to
 * take and the next time it must call again.
 *
 *	idle --value >= raise--> pending-raise --RaiseAfterSec held--> raised
 *	raised --value <= clear--> pending-clear --ClearAfterSec held--> idle
 *
 * A pending state falls back when the value does.  While raised, a
 * RepeatIntervalSec > 0 asks for a repeat of the journal entry.  With
 * no Clear=, "value <= clear" means "value < raise".
 */
#ifndef MEMTRACKD_ALERTS_H
#define MEMTRACKD_ALERTS_H

#include <stdint.h>

#include "config.h"

enum mtd_alert_state {
	MTD_ALERT_IDLE = 0,
	MTD_ALERT_PENDING_RAISE,
	MTD_ALERT_RAISED,
	MTD_ALERT_PENDING_CLEAR,
};

enum mtd_alert_action {
	MTD_ALERT_NONE = 0,
	MTD_ALERT_RAISE,
	MTD_ALERT_CLEAR,
	MTD_ALERT_REPEAT,
};

/**
 * struct mtd_alert - state of one rule on one node
 * @state: where the state machine is
 * @since_usec: when the current state (or pending condition) began
 * @raised_usec: when the alert was raised (valid while raised/pending-clear)
 * @reported_usec: last raise or repeat report
 */
struct mtd_alert {
	enum mtd_alert_state state;
	uint64_t since_usec;
	uint64_t raised_usec;
	uint64_t reported_usec;
};

/**
 * struct mtd_thresholds - a rule's levels resolved to bytes for one node
 * @raise: raise at or above this
 * @clear: clear at or below this
 */
struct mtd_thresholds {
	uint64_t raise;
	uint64_t clear;
};

/*
 * Resolve @rule for a node whose parent's total is @parent_bytes (0 for a
 * root) on a machine with @memtotal bytes.  A percent of a parent of 0
 * bytes (or of a root) gives thresholds that never raise (UINT64_MAX).
 */
void mtd_rule_thresholds(const struct mtd_rule *rule, uint64_t parent_bytes,
			 uint64_t memtotal, struct mtd_thresholds *out);

/*
 * Feed the node's @value at @now_usec.  Returns the action to report now,
 * and sets *@next_usec to when the caller must call again even if the
 * value does not change (a pending state ripening or a repeat), or
 * UINT64_MAX when nothing is pending.
 */
enum mtd_alert_action mtd_alert_step(const struct mtd_rule *rule,
				     const struct mtd_thresholds *th,
				     struct mtd_alert *a, uint64_t value,
				     uint64_t now_usec, uint64_t *next_usec);

#endif
