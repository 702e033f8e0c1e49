# buurt -- plain Makefile. `make demo` and `make test` are the two entry points;
# both install missing Debian packages first (see .ci/deps).
#
# CFLAGS and LDFLAGS are yours (`make CFLAGS=-O0`); the flags buurt needs
# (standard, warnings, include path, libraries) are added separately and
# survive them. B is the build directory: `make check-asan` builds
# everything again in build-asan/ with AddressSanitizer and UBSan and runs
# every suite against it.

CC      ?= cc
PKGS    := libzmq libsodium msgpack libmicrohttpd libqrencode libzip libzstd
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
BU_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(WARN) -MMD -MP -I. $(PKG_CFLAGS) $(CFLAGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread
TEST_LIBS  = $(shell pkg-config --libs criterion 2>/dev/null)

B := build

PROTO_SRC := $(wildcard proto/*.c)
NODE_SRC  := $(wildcard node/*.c)
CLI_SRC   := $(filter-out cli/buurt.c cli/buurtd.c,$(wildcard cli/*.c))
TEST_SRC  := $(wildcard tests/test_*.c)
TOOL_SRC  := $(wildcard tests/tools/*.c)

PROTO_OBJ := $(PROTO_SRC:%.c=$(B)/%.o)
NODE_OBJ  := $(NODE_SRC:%.c=$(B)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(B)/%.o)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TOOL_BIN  := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%) $(B)/tools/gen

LIB := $(B)/libbuurt.a

.PHONY: all deps demo test unit e2e tools check-asan bench bench-quick clean install uninstall \
        cross-arm64 check-cross bench-arm64
all: $(B)/buurt $(B)/buurtd

deps:
	@bash .ci/deps

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BU_CFLAGS) -c $< -o $@

$(LIB): $(PROTO_OBJ) $(NODE_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Both programs' mains are in cli/, the top layer: buurtd runs the CLI's
# commands for it, so it links the command code too.
$(B)/buurt: $(B)/cli/buurt.o $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) -o $@ $< $(CLI_OBJ) $(LIB) $(PKG_LIBS) $(LDFLAGS)

$(B)/buurtd: $(B)/cli/buurtd.o $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) -o $@ $< $(CLI_OBJ) $(LIB) $(PKG_LIBS) $(LDFLAGS)

$(B)/tests/%: tests/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BU_CFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) $(TEST_LIBS) $(LDFLAGS)

# Test tools: small clients the end-to-end scripts drive (tests/tools/).
$(B)/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BU_CFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) $(LDFLAGS)

# bench/gen.c fills a home with realistic signed edits; tests use it too.
$(B)/tools/gen: bench/gen.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BU_CFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) $(LDFLAGS)

tools: $(TOOL_BIN)

unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t --jobs 2; done

# The scripts find the binaries of this build through the environment.
E2E_ENV = BUURT=$(CURDIR)/$(B)/buurt BUURTD=$(CURDIR)/$(B)/buurtd TOOLS=$(CURDIR)/$(B)/tools
e2e: all tools
	@set -e; for t in tests/*.sh; do echo "== $$t"; $(E2E_ENV) bash $$t; done

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory fuzz-smoke
	@echo "make test: all suites passed"

# Everything again with AddressSanitizer and UndefinedBehaviorSanitizer:
# every unit test and end-to-end script (not the benchmark smoke run, whose
# timings mean nothing under ASan). Any report fails the run.
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 SKIP_BENCH=1
check-asan: deps
	@$(MAKE) --no-print-directory B=build-asan CFLAGS="$(ASAN_FLAGS)" \
	    LDFLAGS="-fsanitize=address,undefined" all tools $(TEST_SRC:tests/%.c=build-asan/tests/%)
	@set -e; for t in $(TEST_SRC:tests/%.c=build-asan/tests/%); do echo "== $$t"; \
	    $(ASAN_ENV) $$t --jobs 2; done
	@set -e; for t in tests/*.sh; do echo "== $$t (asan)"; \
	    $(ASAN_ENV) BUURT=$(CURDIR)/build-asan/buurt BUURTD=$(CURDIR)/build-asan/buurtd \
	    TOOLS=$(CURDIR)/build-asan/tools bash $$t; done
	@echo "make check-asan: all suites passed, no sanitizer reports"

demo: deps
	@$(MAKE) --no-print-directory all
	@bash examples/demo.sh

# Benchmarks (issue "Speed and footprint"): bench/run.sh builds what it
# needs with optimisation and prints one table plus bench/results.json.
bench: deps
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh

bench-quick: all
	@bash bench/run.sh --quick

clean:
	rm -rf $(B) build-asan build-arm64

# arm64 (Raspberry Pi class boards), on an x86-64 Debian: .ci/deps-cross
# installs Debian's cross compiler, qemu-user and the arm64 packages of the
# dependencies (multiarch); tests/cross/arm64.sh builds buurt, buurtd and
# the unit tests into build-arm64/, runs the tests under qemu-user and
# syncs a native node with an arm64 node on loopback. It says SKIPPED, with
# the reason, when the toolchain cannot be had. CI runs it (.ci/run).
cross-arm64:
	@bash .ci/deps-cross build-arm64/deps || echo "cross-arm64: .ci/deps-cross failed (see above)"
	@bash tests/cross/arm64.sh

check-cross: cross-arm64

# Binary sizes and buurtd's memory with 100,000 records on the arm64 build
# (under qemu-user), next to the native figures; docs/performance.md.
bench-arm64: all
	@bash bench/arm64.sh

# Installation (GNU conventions: PREFIX, DESTDIR, and each directory may be
# overridden). Both programs go to bin/: buurtd is run by ordinary users on
# their laptops as much as by systemd, and sbin/ is not on a Debian user's
# PATH. The unit goes to PREFIX/lib/systemd/system, which systemd searches
# for /usr/local and, on Debian's merged /usr, for /usr; its ExecStart= is
# rewritten to the BINDIR installed here. The sysusers.d file declares the
# user `buurt` the unit runs as. tests/install.sh checks install and
# uninstall in a temporary DESTDIR.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/buurt
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
INSTALL     ?= install
DOCS := README.md docs/architecture.md docs/cli.md docs/performance.md docs/protocol.md \
        docs/trust.md examples/raspberry-pi.md

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	$(INSTALL) -m 0755 $(B)/buurt $(B)/buurtd $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 man/buurt.1 $(DESTDIR)$(MANDIR)/man1/buurt.1
	$(INSTALL) -m 0644 man/buurtd.8 $(DESTDIR)$(MANDIR)/man8/buurtd.8
	$(INSTALL) -m 0644 README.md examples/raspberry-pi.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 $(filter docs/%,$(DOCS)) $(DESTDIR)$(DOCDIR)/docs/
	sed 's|/usr/local/bin/buurtd|$(BINDIR)/buurtd|' examples/systemd/buurtd.service \
	    >$(DESTDIR)$(UNITDIR)/buurtd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/buurtd.service
	$(INSTALL) -m 0644 examples/systemd/buurt.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/buurt.conf

# Removes exactly what install wrote, and the doc directory if then empty.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/buurt $(DESTDIR)$(BINDIR)/buurtd \
	    $(DESTDIR)$(MANDIR)/man1/buurt.1 $(DESTDIR)$(MANDIR)/man8/buurtd.8 \
	    $(DESTDIR)$(UNITDIR)/buurtd.service $(DESTDIR)$(SYSUSERSDIR)/buurt.conf \
	    $(DESTDIR)$(DOCDIR)/README.md $(DESTDIR)$(DOCDIR)/raspberry-pi.md \
	    $(addprefix $(DESTDIR)$(DOCDIR)/docs/,$(notdir $(filter docs/%,$(DOCS))))
	rmdir $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# libFuzzer harnesses of every decoder: make fuzz, fuzz-smoke (tests/fuzz/).
include tests/fuzz/fuzz.mk

-include $(shell find $(B) -name '*.d' 2>/dev/null)
