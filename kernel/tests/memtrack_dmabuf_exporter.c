// SPDX-License-Identifier: GPL-2.0
/*
 * memtrack_dmabuf_exporter: a minimal dma-buf exporter, so that tests have
 * real dma-bufs on kernels without udmabuf or dma-heaps (Debian's 6.1).
 * Test only.
 *
 * Interface (memtrack_dmabuf_exporter.h, shared with user space):
 *
 *   /dev/memtrack_dmabuf, ioctl MTDB_IOC_ALLOC with struct mtdb_alloc:
 *   allocates @size bytes (zeroed, vmalloc_user()), exports them as a
 *   dma-buf with exp_name "memtrack_dmabuf" and returns it in @fd, opened
 *   O_RDWR | O_CLOEXEC.  @size must be a non-zero multiple of PAGE_SIZE and
 *   at most MTDB_MAX_SIZE; @flags is 0 or MTDB_ALLOC_PRIVATE_MAP.  The fd
 *   number is reserved
 *   and copied out before the file is installed, as dma-heap does, so a
 *   failed copy leaves no fd behind.
 *
 *   The buffer supports what user space can do with a dma-buf: mmap()
 *   (MAP_SHARED; with MTDB_ALLOC_PRIVATE_MAP also MAP_PRIVATE without
 *   PROT_WRITE, as an exporter that leaves the choice to the dma-buf core
 *   allows; the pages are inserted at mmap time), llseek to find
 *   the size, DMA_BUF_SET_NAME and DMA_BUF_IOCTL_SYNC (both handled by the
 *   dma-buf core).  No device ever imports these buffers: map_dma_buf, which
 *   dma_buf_export() requires, refuses with -EOPNOTSUPP.
 *
 *   <debugfs>/memtrack-dmabuf-exporter/status: "buffers N bytes B", the
 *   buffers exported and not yet released.
 *
 * Every buffer holds a reference on this module (exp_info.owner, taken by
 * dma_buf_export() and dropped by the core after the release op), so the
 * module cannot be unloaded while any buffer exists, whether held by an fd,
 * a mapping or the kernel.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "memtrack_dmabuf_exporter.h"

/**
 * struct mtdb_buffer - the memory behind one dma-buf
 * @vaddr: vmalloc_user() memory, zeroed
 * @size: its size, a multiple of PAGE_SIZE
 * @private_map: MAP_PRIVATE mappings without PROT_WRITE are allowed
 */
struct mtdb_buffer {
	void *vaddr;
	size_t size;
	bool private_map;
};

static atomic_t mtdb_buffers = ATOMIC_INIT(0);
static atomic64_t mtdb_bytes = ATOMIC64_INIT(0);
static struct dentry *mtdb_dir;

static struct sg_table *mtdb_map_dma_buf(struct dma_buf_attachment *attach,
					 enum dma_data_direction dir)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static void mtdb_unmap_dma_buf(struct dma_buf_attachment *attach,
			       struct sg_table *sgt,
			       enum dma_data_direction dir)
{
	/* never called: mtdb_map_dma_buf() never succeeds */
}

static int mtdb_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct mtdb_buffer *buf = dmabuf->priv;

	/*
	 * A private mapping shows the buffer until written, then a private
	 * copy of the page written (copy-on-write of the inserted page).
	 */
	if (!(vma->vm_flags & VM_SHARED) &&
	    (!buf->private_map || (vma->vm_flags & VM_WRITE)))
		return -EINVAL;
	/* checks the range; sets VM_DONTEXPAND | VM_DONTDUMP */
	return remap_vmalloc_range(vma, buf->vaddr, vma->vm_pgoff);
}

static void mtdb_release(struct dma_buf *dmabuf)
{
	struct mtdb_buffer *buf = dmabuf->priv;

	atomic64_sub(buf->size, &mtdb_bytes);
	atomic_dec(&mtdb_buffers);
	vfree(buf->vaddr);
	kfree(buf);
}

static const struct dma_buf_ops mtdb_dmabuf_ops = {
	.map_dma_buf = mtdb_map_dma_buf,
	.unmap_dma_buf = mtdb_unmap_dma_buf,
	.mmap = mtdb_mmap,
	.release = mtdb_release,
};

static struct dma_buf *mtdb_export(size_t size, bool private_map)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct mtdb_buffer *buf;
	struct dma_buf *dmabuf;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->size = size;
	buf->private_map = private_map;
	buf->vaddr = vmalloc_user(size);
	if (!buf->vaddr) {
		kfree(buf);
		return ERR_PTR(-ENOMEM);
	}

	exp_info.exp_name = MTDB_EXP_NAME;
	exp_info.ops = &mtdb_dmabuf_ops;
	exp_info.size = size;
	exp_info.flags = O_RDWR;
	exp_info.priv = buf;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		vfree(buf->vaddr);
		kfree(buf);
		return dmabuf;
	}
	/* from here on mtdb_release() frees buf */
	atomic_inc(&mtdb_buffers);
	atomic64_add(size, &mtdb_bytes);
	return dmabuf;
}

static long mtdb_ioctl_alloc(struct mtdb_alloc __user *uarg)
{
	struct mtdb_alloc req;
	struct dma_buf *dmabuf;
	int fd;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~MTDB_ALLOC_PRIVATE_MAP) || !req.size || req.size > MTDB_MAX_SIZE ||
	    !PAGE_ALIGNED(req.size))
		return -EINVAL;

	dmabuf = mtdb_export(req.size, req.flags & MTDB_ALLOC_PRIVATE_MAP);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	if (put_user(fd, &uarg->fd)) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		return -EFAULT;
	}
	/* consumes the reference dma_buf_export() returned */
	fd_install(fd, dmabuf->file);
	return 0;
}

static long mtdb_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case MTDB_IOC_ALLOC:
		return mtdb_ioctl_alloc((struct mtdb_alloc __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mtdb_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = mtdb_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice mtdb_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "memtrack_dmabuf",
	.fops = &mtdb_fops,
	.mode = 0600,
};

static int mtdb_status_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "buffers %d bytes %lld\n", atomic_read(&mtdb_buffers),
		   (long long)atomic64_read(&mtdb_bytes));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mtdb_status);

static int __init mtdb_init(void)
{
	int ret;

	ret = misc_register(&mtdb_misc);
	if (ret)
		return ret;
	mtdb_dir = debugfs_create_dir("memtrack-dmabuf-exporter", NULL);
	debugfs_create_file("status", 0444, mtdb_dir, NULL, &mtdb_status_fops);
	return 0;
}

static void __exit mtdb_exit(void)
{
	debugfs_remove_recursive(mtdb_dir);
	misc_deregister(&mtdb_misc);
	/* every buffer pins the module until the core has released it */
	WARN_ON(atomic_read(&mtdb_buffers));
}

module_init(mtdb_init);
module_exit(mtdb_exit);

MODULE_DESCRIPTION("memtrack test dma-buf exporter (/dev/memtrack_dmabuf)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
