/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Interface of memtrack_dmabuf_exporter.ko, a test-only dma-buf exporter
 * (kernel/tests/memtrack_dmabuf_exporter.c).  Shared by the module and by
 * user space (tests/dmabuf/mtdb-hold.c): only uapi types.
 */
#ifndef _MEMTRACK_DMABUF_EXPORTER_H
#define _MEMTRACK_DMABUF_EXPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The misc device, and the exp_name its buffers show in fdinfo and bufinfo */
#define MTDB_DEVICE	"/dev/memtrack_dmabuf"
#define MTDB_EXP_NAME	"memtrack_dmabuf"

/* Largest buffer, in bytes */
#define MTDB_MAX_SIZE	(64ULL << 20)

/**
 * struct mtdb_alloc - argument of MTDB_IOC_ALLOC
 * @size: in: buffer size in bytes, a non-zero multiple of the page size, at
 *        most MTDB_MAX_SIZE
 * @flags: in: 0, or MTDB_ALLOC_PRIVATE_MAP
 * @fd: out: the dma-buf, opened O_RDWR | O_CLOEXEC
 */
struct mtdb_alloc {
	__u64 size;
	__u32 flags;
	__s32 fd;
};

/*
 * The buffer also accepts MAP_PRIVATE mappings without PROT_WRITE, which
 * the dma-buf core does not refuse: udmabuf and the dma-heaps do, other
 * exporters may not.
 */
#define MTDB_ALLOC_PRIVATE_MAP	0x1

#define MTDB_IOC_ALLOC	_IOWR('M', 0xdb, struct mtdb_alloc)

#endif /* _MEMTRACK_DMABUF_EXPORTER_H */
