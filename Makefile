# buurt -- plain Makefile. `make demo` and `make test` are the two entry points;
# both install missing Debian packages first (see .ci/deps).

CC      ?= cc
PKGS    := libzmq libsodium msgpack
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wno-missing-field-initializers -MMD -MP -I.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_LIBS  = $(shell pkg-config --libs criterion 2>/dev/null)

B := build

PROTO_SRC := $(wildcard proto/*.c)
NODE_SRC  := $(filter-out node/buurtd.c,$(wildcard node/*.c))
CLI_SRC   := $(wildcard cli/*.c)
TEST_SRC  := $(wildcard tests/test_*.c)

PROTO_OBJ := $(PROTO_SRC:%.c=$(B)/%.o)
NODE_OBJ  := $(NODE_SRC:%.c=$(B)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(B)/%.o)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TOOL_BIN  := $(B)/tools/hostile

LIB := $(B)/libbuurt.a

.PHONY: all deps demo test unit e2e tools bench bench-quick clean
DAEMON := $(if $(wildcard node/buurtd.c),$(B)/buurtd)

all: $(B)/buurt $(DAEMON)

deps:
	@bash .ci/deps

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(LIB): $(PROTO_OBJ) $(NODE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/buurt: $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS) $(LDFLAGS)

# buurtd runs forwarded CLI commands in-process, so it links the command code.
CLI_CMDS := $(filter-out $(B)/cli/main.o,$(CLI_OBJ))
$(B)/buurtd: $(B)/node/buurtd.o $(CLI_CMDS) $(LIB)
	$(CC) $(CFLAGS) -o $@ $< $(CLI_CMDS) $(LIB) $(PKG_LIBS) $(LDFLAGS)

$(B)/tests/%: tests/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) $(TEST_LIBS) $(LDFLAGS)

# Test tools: small clients the end-to-end scripts drive (tests/tools/).
$(B)/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) $(LDFLAGS)

tools: $(TOOL_BIN)

unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t --jobs 2; done

e2e: all tools
	@set -e; for t in tests/*.sh; do echo "== $$t"; bash $$t; done

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e
	@echo "make test: all suites passed"

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
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
