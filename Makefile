# procfilterfs — build, test, lint, fuzz, bench.
# `make run` and `make test` install missing Debian packages first (as root).
#
# Two stages: the outer make installs what the goals need, then runs the goals
# in a sub-make (PFS_INNER=1). Flags that come from installed packages
# (pkg-config) are read only by the sub-make, after the install: a parse-time
# $(shell pkg-config ...) in the outer make would run before it.
ifeq ($(PFS_INNER),)

goals := $(or $(MAKECMDGOALS),all)
# Goals that need nothing installed.
no_deps_goals := clean uninstall format check-format
deps_profiles := $(if $(filter-out $(no_deps_goals) deps test-deps,$(goals)),build)
deps_profiles += $(if $(filter test test-deps unit integration hostile fuzz-smoke fuzz lint,$(goals)),test)
deps_profiles += $(if $(filter bench,$(goals)),bench)
deps_profiles := $(strip $(deps_profiles))

.PHONY: $(goals) pfs-outer
$(goals): pfs-outer
	@:
pfs-outer:
ifneq ($(deps_profiles),)
	@scripts/install-deps.sh $(deps_profiles)
endif
	@$(MAKE) --no-print-directory PFS_INNER=1 $(filter-out deps test-deps,$(goals))

else

CC ?= gcc
CLANG ?= clang
SANITIZE ?=
# A sanitized build keeps its own objects.
ifneq ($(SANITIZE),)
BUILD ?= build-sanitize
else
BUILD ?= build
endif
PREFIX ?= /usr/local
POLICY_DIR ?= /etc/procfilterfs
VERSION := 0.1.0

OPT ?= -O2
# V=1 shows the commands.
V ?= 0
ifeq ($(V),0)
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
else
Q :=
say = @:
endif

FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS := $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3)
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
BASE_CFLAGS := -std=gnu11 -g $(WARN) -D_FORTIFY_SOURCE=2 -D_GNU_SOURCE -Iinclude \
	-DPFS_VERSION='"$(VERSION)"' -DPFS_POLICY_DIR='"$(POLICY_DIR)"' -MMD -MP
# Test fixtures (the integration helpers that do not link the product) are
# never sanitized: tests measure them (RSS, CPU time, timing) and run them in
# sandboxes, and ASan's shadow memory and runtime would be what they measure.
FIXTURE_CFLAGS := $(BASE_CFLAGS) $(OPT) $(CFLAGS)
ifneq ($(SANITIZE),)
OPT := -O1
BASE_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif
CFLAGS_ALL := $(BASE_CFLAGS) $(OPT) $(CFLAGS)

# One folder per layer, in dependency order: each may use the ones before it.
# The pure layers read bytes and write bytes; nothing in them acts as a caller.
PURE_DIRS := src/base src/policy src/filter
CORE_DIRS := $(PURE_DIRS) src/access src/view src/monitor src/audit
PURE_SRC := $(sort $(foreach d,$(PURE_DIRS),$(wildcard $(d)/*.c)))
CORE_SRC := $(sort $(foreach d,$(filter-out $(PURE_DIRS),$(CORE_DIRS)),$(wildcard $(d)/*.c)))
FS_SRC := $(sort $(filter-out src/fs/main.c src/fs/calloc.c,$(wildcard src/fs/*.c)))
PFS_SRC := $(sort $(wildcard src/pfs/*.c src/launcher/*.c src/oci/*.c))
UNIT_SRC := $(sort $(wildcard test/unit/*.c))
# Unit tests of the layers above filter; every other test links only the pure library.
UNIT_CORE_SRC := $(sort $(wildcard test/unit/test_audit*.c test/unit/test_monitor*.c \
	test/unit/test_mount_identity.c test/unit/test_view*.c))
UNIT_PURE_SRC := $(filter-out $(UNIT_CORE_SRC),$(UNIT_SRC))
IT_HELPER_SRC := $(sort $(wildcard test/integration/helpers/*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
PFSBENCH_SRC := $(sort $(wildcard bench/pfsbench/*.c))

PURE_OBJ := $(PURE_SRC:%.c=$(BUILD)/obj/%.o)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
FS_OBJ := $(FS_SRC:%.c=$(BUILD)/obj/%.o)
PFS_OBJ := $(PFS_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_PURE_OBJ := $(UNIT_PURE_SRC:%.c=$(BUILD)/obj/%.o)
# the policy builders (tp_*) serve both
UNIT_CORE_OBJ := $(UNIT_CORE_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/test/unit/test_filter_util.o
PFSBENCH_OBJ := $(PFSBENCH_SRC:%.c=$(BUILD)/obj/%.o)

# libpfspure.a: base, policy, filter. libpfscore.a: the layers above them; link
# it before libpfspure.a. A pure file that calls into the others fails to link
# wherever libpfspure.a is linked alone (unit_pure, the fuzzers).
LIBPURE := $(BUILD)/libpfspure.a
LIBCORE := $(BUILD)/libpfscore.a
LIBS_CORE := $(LIBCORE) $(LIBPURE)
LIBFS := $(BUILD)/libpfsfs.a
DAEMON := $(BUILD)/procfilterfs
PFS := $(BUILD)/pfs
UNIT := $(BUILD)/test/unit_tests
UNIT_PURE := $(BUILD)/test/unit_pure
UNIT_CORE := $(BUILD)/test/unit_core
IT_HELPERS := $(IT_HELPER_SRC:test/integration/helpers/%.c=$(BUILD)/test/helpers/%)
# The helpers that run product code (the monitor): linked with the libraries,
# sanitized like them. Every other helper is a fixture (FIXTURE_CFLAGS).
IT_PRODUCT_HELPERS := $(addprefix $(BUILD)/test/helpers/,monitor_harness monitor_pidreuse)
IT_FIXTURES := $(filter-out $(IT_PRODUCT_HELPERS),$(IT_HELPERS))
FUZZERS := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
BENCH_BINS := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%) $(BUILD)/bench/pfsbench

.PHONY: all unit integration hostile fuzz-smoke fuzz test lint run bench clean install uninstall \
	check-format format check-layers

all: $(DAEMON) $(PFS)

# Only src/fs sees the FUSE headers: the core layers are compiled without their flags.
$(BUILD)/obj/src/fs/%.o: src/fs/%.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS_ALL) $(FUSE_CFLAGS) -c $< -o $@

# Unit tests and test helpers may use a layer's private headers ("monitor/monitor_parse_i.h").
$(UNIT_OBJ): CFLAGS_ALL += -Isrc

# The OCI hook and runtime shim read and write JSON with jansson.
$(BUILD)/obj/src/oci/%.o: src/oci/%.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS_ALL) $(JANSSON_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIBPURE): $(PURE_OBJ)
	@mkdir -p $(@D)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBCORE): $(CORE_OBJ)
	@mkdir -p $(@D)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBFS): $(FS_OBJ)
	@mkdir -p $(@D)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# calloc.o is linked whole, before libc: it replaces calloc in the daemon (its comment says why).
$(DAEMON): $(BUILD)/obj/src/fs/main.o $(BUILD)/obj/src/fs/calloc.o $(LIBFS) $(LIBS_CORE)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(FUSE_LIBS) -lpthread

$(PFS): $(PFS_OBJ) $(LIBS_CORE)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lseccomp $(JANSSON_LIBS) -lpthread -lm

# The whole of libpfspure.a, used or not: any call out of the pure layers is a link error.
$(UNIT_PURE): $(UNIT_PURE_OBJ) $(LIBPURE)
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(UNIT_PURE_OBJ) -Wl,--whole-archive $(LIBPURE) \
		-Wl,--no-whole-archive -lcriterion -lpthread

$(UNIT_CORE): $(UNIT_CORE_OBJ) $(LIBS_CORE)
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcriterion -lpthread

# build/test/unit_tests runs both binaries with the same arguments (--filter ...).
$(UNIT): $(UNIT_PURE) $(UNIT_CORE)
	$(call say,GEN,$@)
	$(Q)printf '%s\n' '#!/bin/sh' 'd=$$(dirname "$$0")' \
		'"$$d/unit_pure" "$$@" && exec "$$d/unit_core" "$$@"' >$@ && chmod +x $@

$(IT_PRODUCT_HELPERS): $(BUILD)/test/helpers/%: test/integration/helpers/%.c $(LIBS_CORE)
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -Isrc -o $@ $< $(LIBS_CORE) -lpthread

# On the Makefile too: a build folder from before fixtures were plain holds sanitized ones.
$(IT_FIXTURES): $(BUILD)/test/helpers/%: test/integration/helpers/%.c Makefile
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(CC) $(FIXTURE_CFLAGS) -o $@ $< -lpthread

# Fuzzers: clang + libFuzzer, on the pure layers only (compiled once with clang
# and sanitizers): a fuzzed file that reaches beyond them fails to link.
FUZZ_BASE := -std=gnu11 -g -O1 -Iinclude -D_GNU_SOURCE -DPFS_VERSION='"$(VERSION)"' \
	-DPFS_POLICY_DIR='"$(POLICY_DIR)"' -fno-omit-frame-pointer
FUZZ_CORE_OBJ := $(PURE_SRC:%.c=$(BUILD)/fuzzobj/%.o)
.SECONDARY: $(FUZZ_CORE_OBJ)
$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CLANG,$@)
	$(Q)$(CLANG) $(FUZZ_BASE) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@
$(BUILD)/fuzz/%: fuzz/%.c $(FUZZ_CORE_OBJ)
	@mkdir -p $(@D)
	$(call say,CLANG,$@)
	$(Q)$(CLANG) $(FUZZ_BASE) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_CORE_OBJ)

# Each bench/*.c is one program; pfsbench is the files of bench/pfsbench/. A FUSE
# daemon among them gets the daemon's heap set-up: its calloc too (src/fs/calloc.c).
$(BUILD)/bench/%: bench/%.c $(BUILD)/obj/src/fs/calloc.o $(LIBS_CORE)
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS_ALL) $(FUSE_CFLAGS) -o $@ $< $(BUILD)/obj/src/fs/calloc.o $(LIBS_CORE) $(FUSE_LIBS) -lpthread -lm

$(BUILD)/obj/bench/pfsbench/%.o: bench/pfsbench/%.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS_ALL) $(FUSE_CFLAGS) -c $< -o $@

$(BUILD)/bench/pfsbench: $(PFSBENCH_OBJ) $(LIBS_CORE)
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS_ALL) $(FUSE_CFLAGS) -o $@ $(PFSBENCH_OBJ) $(LIBS_CORE) $(FUSE_LIBS) -lpthread -lm

unit: $(UNIT)
	$(UNIT) --jobs 2

integration: all $(IT_HELPERS)
	BUILD=$(BUILD) SANITIZE=$(SANITIZE) test/run-integration.sh

# The hostile-load suite alone (it also runs in `make test`/`make integration`).
hostile: all $(IT_HELPERS)
	BUILD=$(BUILD) SANITIZE=$(SANITIZE) test/run-integration.sh hostile

fuzz-smoke: $(FUZZERS)
	BUILD=$(BUILD) scripts/fuzz.sh smoke

fuzz: $(FUZZERS)
	BUILD=$(BUILD) scripts/fuzz.sh long

test: all $(UNIT) $(IT_HELPERS) $(FUZZERS)
	$(UNIT) --jobs 2
	BUILD=$(BUILD) scripts/fuzz.sh smoke
	BUILD=$(BUILD) SANITIZE=$(SANITIZE) test/run-integration.sh

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find src include test fuzz bench -name '*.[ch]')
SH_FILES = $(shell git ls-files '*.sh' .ci/run 2>/dev/null)

# The layering, on the built objects: folder order, and no cycle between files.
# (src/fs/calloc.o is left out: it stands in for libc's calloc, it is no layer's.)
check-layers: $(PURE_OBJ) $(CORE_OBJ) $(FS_OBJ) $(BUILD)/obj/src/fs/main.o $(PFS_OBJ)
	scripts/layers.sh $^

check-format:
	clang-format --dry-run --Werror $(C_FILES)

format:
	clang-format -i $(C_FILES)

lint: check-format check-layers
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--inline-suppr --suppress=missingIncludeSystem -Iinclude -D_GNU_SOURCE \
		--suppress=unknownMacro --suppressions-list=scripts/cppcheck.supp src
	scripts/tidy.sh
	shellcheck -x $(SH_FILES)

run: all
	@scripts/run.sh

bench: all $(BENCH_BINS)
	BUILD=$(BUILD) scripts/bench.sh

install: all
	install -D -m 0755 $(DAEMON) $(DESTDIR)$(PREFIX)/sbin/procfilterfs
	install -D -m 0755 $(PFS) $(DESTDIR)$(PREFIX)/bin/pfs
	ln -sf pfs $(DESTDIR)$(PREFIX)/bin/pfs-runc
	ln -sf pfs $(DESTDIR)$(PREFIX)/bin/pfs-crun
	ln -sf procfilterfs $(DESTDIR)$(PREFIX)/sbin/mount.procfilterfs
	install -d $(DESTDIR)$(POLICY_DIR)/tenants
	install -m 0644 filters/*.policy $(DESTDIR)$(POLICY_DIR)/
	install -m 0644 filters/tenants/*.policy $(DESTDIR)$(POLICY_DIR)/tenants/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/procfilterfs $(DESTDIR)$(PREFIX)/sbin/mount.procfilterfs \
		$(DESTDIR)$(PREFIX)/bin/pfs $(DESTDIR)$(PREFIX)/bin/pfs-runc $(DESTDIR)$(PREFIX)/bin/pfs-crun
	rm -f $(addprefix $(DESTDIR)$(POLICY_DIR)/,$(notdir $(wildcard filters/*.policy))) \
		$(addprefix $(DESTDIR)$(POLICY_DIR)/tenants/,$(notdir $(wildcard filters/tenants/*.policy)))
	-rmdir $(DESTDIR)$(POLICY_DIR)/tenants $(DESTDIR)$(POLICY_DIR) 2>/dev/null

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/fuzzobj -name '*.d' 2>/dev/null)

endif
