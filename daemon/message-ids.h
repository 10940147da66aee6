/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Journal MESSAGE_ID= values of memtrackd, explained in
 * systemd/memtrackd.catalog (keep the two in sync).  The entries carry
 * MEMTRACK_NODE= (node path), MEMTRACK_BYTES= (value), MEMTRACK_THRESHOLD=
 * (the raise or clear level, bytes) and MEMTRACK_RULE= (rule name), which
 * the catalog text refers to.  A repeated raised alert reuses
 * MTD_MESSAGE_ALERT_RAISED.
 *
 * sd_id128 string form without dashes, for
 * sd_journal_send("MESSAGE_ID=" MTD_MESSAGE_ALERT_RAISED, ...).
 */
#ifndef MEMTRACKD_MESSAGE_IDS_H
#define MEMTRACKD_MESSAGE_IDS_H

#define MTD_MESSAGE_ALERT_RAISED "2745a3f4e2544d4eb52cae9c0d1fbe9e"
#define MTD_MESSAGE_ALERT_CLEARED "b6f6818f4e07477ba0e08c533a0efb34"
/*
 * The dma-buf scan could not read some processes (or all again):
 * MEMTRACK_DMABUF_UNREADABLE= (how many), MEMTRACK_DMABUF_PIDS= (how many
 * were listed).
 */
#define MTD_MESSAGE_DMABUF_UNREADABLE "954e76619f0947efa2d4f9e04e7dffe9"

#endif
