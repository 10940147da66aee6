# memtrack top-level build.  See README.md.
#
#   make            kernel module (for each installed test kernel, else KDIR)
#                   and userspace (meson + ninja in build/meson)
#   make demo       setup-deps, build, boot a VM running tests/vm/demo-guest
#   make shell      interactive VM with memtrack loaded (Ctrl-A X quits)
#   make debug-kernel  the debug test kernel (tests/vm/debug-kernel, cached
#                   per machine) and memtrack.ko for it
#   make check      setup-deps, build, tests/run-all
#                   (SUITE=unit|harness|kernel|system KERNEL=6.1|6.12 TEST=glob)
#   make install    module (kernel/Makefile install) + meson install;
#                   honours DESTDIR and PREFIX
#   make checkpatch kernel coding style (scripts/checkpatch.pl)
#   make clean

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(TOP)/build
MESON_BUILD := $(BUILD)/meson
PREFIX ?= /usr/local
DESTDIR ?=

# Test kernels: every installed 6.1 / 6.12 kernel with headers.  Without any,
# build against KDIR (default: the running kernel).
TEST_KVERS := $(sort $(notdir $(patsubst %/build,%,$(wildcard /lib/modules/6.1.*/build /lib/modules/6.12.*/build))))
KDIR ?= /lib/modules/$(shell uname -r)/build
KVERS ?= $(if $(TEST_KVERS),$(TEST_KVERS),$(notdir $(patsubst %/build,%,$(KDIR))))

# make check filters
SUITE ?=
KERNEL ?=
TEST ?=
RUN_ALL_ARGS := $(foreach s,$(SUITE),--suite $(s)) $(foreach k,$(KERNEL),--kernel $(k)) $(if $(TEST),--test '$(TEST)')
DEMO_KERNEL ?= 6.12

.PHONY: all module userspace demo shell check install clean checkpatch setup-deps debug-kernel

all: module userspace

setup-deps:
	$(TOP)/tools/setup-deps

module:
	@if [ -z "$(TEST_KVERS)" ] && [ ! -d "$(KDIR)" ]; then \
		echo "module: no 6.1 or 6.12 test kernel and no headers at $(KDIR);" \
			"run tools/setup-deps or pass KDIR=/lib/modules/<ver>/build" >&2; exit 1; fi
	@set -e; for k in $(KVERS); do \
		echo "== memtrack.ko for $$k"; \
		$(MAKE) -C $(TOP)/kernel KDIR=/lib/modules/$$k/build KVER=$$k OUT=$(BUILD)/kernel/$$k; \
	done

# Builds the kernel the first time (long: see README), then reuses it.
debug-kernel:
	$(TOP)/tools/setup-deps --debug-kernel
	@set -e; d=$$($(TOP)/tests/vm/debug-kernel); k=$$(cat "$$d/kver"); \
	echo "== memtrack.ko for $$k"; \
	$(MAKE) -C $(TOP)/kernel KDIR=$$d/build KVER=$$k OUT=$(BUILD)/kernel/$$k

$(MESON_BUILD)/build.ninja:
	meson setup $(MESON_BUILD) $(TOP) --prefix=$(PREFIX)

userspace: $(MESON_BUILD)/build.ninja
	ninja -C $(MESON_BUILD)

# all runs in a make of its own, started after setup-deps: the kernel list above
# is read when make starts, and on a fresh machine setup-deps installs the
# kernels only then.
demo: setup-deps
	$(MAKE) -C $(TOP) all
	$(TOP)/tests/vm/run --kernel $(DEMO_KERNEL) --mode system --name demo -- tests/vm/demo-guest

shell: all
	$(TOP)/tests/vm/run --kernel $(DEMO_KERNEL) --name shell --interactive --timeout 86400 -- \
		'insmod "$$MEMTRACK_KO_DIR/memtrack.ko" && echo "memtrack loaded; exit or Ctrl-A X to quit"; \
		 PS1="memtrack-vm:\w# " exec bash --norc -i'

check: setup-deps
	$(MAKE) -C $(TOP) all
	$(TOP)/tests/run-all $(RUN_ALL_ARGS)

# The module is installed for KDIR's kernel (default: the running one) when
# its headers are there; userspace always.
INSTALL_KVER = $(notdir $(patsubst %/build,%,$(KDIR)))
install: userspace
	@if [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(TOP)/kernel install KDIR=$(KDIR) KVER=$(INSTALL_KVER) \
			OUT=$(BUILD)/kernel/$(INSTALL_KVER) INSTALL_MOD_PATH=$(DESTDIR); \
	else \
		echo "install: no kernel headers at $(KDIR): module not installed (pass KDIR=/lib/modules/<ver>/build)" >&2; \
	fi
	meson configure $(MESON_BUILD) --prefix=$(PREFIX)
	DESTDIR=$(DESTDIR) meson install -C $(MESON_BUILD) --no-rebuild

# checkpatch.pl is not in Debian's linux-headers packages; linux-source-6.12
# (bookworm-backports, ~150 MB) ships it inside /usr/src/linux-source-6.12.tar.xz.
# Override with CHECKPATCH=/path/to/checkpatch.pl.
CHECKPATCH_DIR := $(BUILD)/checkpatch
LINUX_SOURCE_TAR := $(lastword $(sort $(wildcard /usr/src/linux-source-*.tar.xz)))
CHECKPATCH ?= $(CHECKPATCH_DIR)/checkpatch.pl

$(CHECKPATCH_DIR)/checkpatch.pl:
	@if [ -z "$(LINUX_SOURCE_TAR)" ]; then \
		echo "checkpatch: no /usr/src/linux-source-*.tar.xz; install it with" >&2; \
		echo "  apt-get install -t bookworm-backports linux-source-6.12   (~150 MB)" >&2; \
		echo "or pass CHECKPATCH=/path/to/checkpatch.pl" >&2; exit 1; fi
	mkdir -p $(CHECKPATCH_DIR)
	d=$$(basename $(LINUX_SOURCE_TAR) .tar.xz); \
	tar -xJf $(LINUX_SOURCE_TAR) -C $(CHECKPATCH_DIR) --strip-components=2 \
		$$d/scripts/checkpatch.pl $$d/scripts/spelling.txt $$d/scripts/const_structs.checkpatch

checkpatch: $(CHECKPATCH)
	$(MAKE) -C $(TOP)/kernel checkpatch CHECKPATCH=$(CHECKPATCH)

clean:
	rm -rf $(BUILD)
