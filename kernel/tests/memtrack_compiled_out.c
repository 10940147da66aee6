// SPDX-License-Identifier: GPL-2.0
/*
 * memtrack_compiled_out: build check of the compiled-out API.
 *
 * Kbuild compiles this file with CONFIG_MEMTRACK_MODULE undefined, so both
 * <linux/memtrack.h> and <media/v4l2-memtrack.h> provide their inline no-op
 * stubs.  Every call of both APIs is made here; the module does not depend
 * on memtrack.ko.  At load it checks that the stubs return NULL or 0 and
 * fails with -EINVAL otherwise.
 */
#include <linux/kernel.h>
#include <linux/memtrack.h>
#include <linux/module.h>
#include <media/v4l2-memtrack.h>

#if IS_ENABLED(CONFIG_MEMTRACK)
#error "this file must be built with CONFIG_MEMTRACK disabled"
#endif

static void mtt_core_cb(struct memtrack_node *node, size_t total, void *priv)
{
}

static void mtt_v4l2_cb(struct v4l2_memtrack_node *node, size_t total,
			void *priv)
{
}

static int mtt_core_calls(void)
{
	struct memtrack_node *r, *n, *leaf;
	int bad = 0;

	r = memtrack_create_root("compiled_out");
	n = memtrack_create_node(r, "node");
	leaf = memtrack_alloc(n, "leaf", 1);
	bad += r || n || leaf;
	bad += memtrack_add(n, 1) != 0;
	bad += memtrack_sub(n, 1) != 0;
	bad += memtrack_set(n, 1) != 0;
	bad += memtrack_free(n, "leaf", 1) != 0;
	bad += memtrack_read(n) != 0;
	bad += memtrack_read_self(n) != 0;
	bad += memtrack_read_count(n) != 0;
	bad += memtrack_read_peak(n) != 0;
	memtrack_reset_peak(n);
	bad += memtrack_node_id(n) != 0;
	bad += memtrack_register_notify(n, mtt_core_cb, NULL) != 0;
	memtrack_set_notify_delay(n, 10);
	memtrack_unregister_notify(n);
	memtrack_print_debug(r);
	memtrack_destroy(leaf);
	memtrack_destroy(r);
	return bad;
}

static int mtt_v4l2_calls(void)
{
	struct v4l2_memtrack_node *r, *n;
	int bad = 0;

	r = v4l2_memtrack_create_root("compiled_out");
	n = v4l2_memtrack_create_node(r, "node");
	bad += r || n;
	v4l2_memtrack_add(n, 1, NULL);
	v4l2_memtrack_add(n, 1, "leaf");
	v4l2_memtrack_sub(n, 1, "leaf");
	v4l2_memtrack_sub(n, 1, NULL);
	v4l2_memtrack_set(n, 1);
	bad += v4l2_memtrack_read(n) != 0;
	bad += v4l2_memtrack_register_notify(n, mtt_v4l2_cb, NULL) != 0;
	v4l2_memtrack_set_notify_delay(n, 10);
	v4l2_memtrack_unregister_notify(n);
	v4l2_memtrack_print_debug(r);
	v4l2_memtrack_destroy_node(n);
	v4l2_memtrack_destroy_node(r);
	return bad;
}

static int __init mtt_compiled_out_init(void)
{
	int bad = mtt_core_calls() + mtt_v4l2_calls();

	pr_info("memtrack_compiled_out: %s\n", bad ? "stubs misbehave" : "ok");
	return bad ? -EINVAL : 0;
}

static void __exit mtt_compiled_out_exit(void)
{
}

module_init(mtt_compiled_out_init);
module_exit(mtt_compiled_out_exit);

MODULE_DESCRIPTION("memtrack compiled-out API build check");
MODULE_LICENSE("GPL");
