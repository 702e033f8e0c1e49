# tests/fuzz/fuzz.mk -- libFuzzer harnesses for every decoder (issue
# "Hostile members": keep it that way). Included by the Makefile; uses only
# B (the build directory) from it, so it also works as
#     make -f Makefile -f tests/fuzz/fuzz.mk B=build fuzz-smoke
#
#   make fuzz-build   builds $(B)/fuzz/fuzz_<name> for every tests/fuzz/fuzz_<name>.c
#   make fuzz         runs each for FUZZ_SECONDS (60) on a scratch copy of
#                     tests/fuzz/corpus/<name>/; any crash, leak, sanitizer
#                     report, broken property or timeout fails
#   make fuzz-smoke   the same for 3 seconds each (part of `make test`)
#   make fuzz-seeds   regenerates the seed corpus with tests/fuzz/seeds.c
#
# Include it after `B := build` (rule targets use B as they are read).
#
# Everything is built with clang (FUZZ_CC) and AddressSanitizer and UBSan,
# with the project's warnings (-Werror, as for gcc);
# the library sources are compiled again into $(B)/fuzz/obj/ with
# -fsanitize=fuzzer-no-link so that libFuzzer sees their coverage (the
# gcc-built $(B)/libbuurt.a is not used). A failing run leaves the input in
# $(B)/fuzz/crash-<name>-*; replay it with `$(B)/fuzz/fuzz_<name> FILE`,
# minimise it with `-minimize_crash=1 -runs=10000 FILE`, and add it to
# tests/fuzz/corpus/<name>/ as regress-<what> so every run replays it.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 65536
FUZZ_DIR     := $(B)/fuzz
FUZZ_PKGS    := libzmq libsodium msgpack libzstd
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
FUZZ_FLAGS    = -std=c11 -D_GNU_SOURCE -I. -g -O1 -fno-omit-frame-pointer $(FUZZ_WARN) -MMD -MP \
                $(shell pkg-config --cflags $(FUZZ_PKGS) 2>/dev/null)
FUZZ_LIBS     = $(shell pkg-config --libs $(FUZZ_PKGS) 2>/dev/null)

FUZZ_LIB_SRC := $(wildcard proto/*.c) $(wildcard node/*.c)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_LIB     := $(FUZZ_DIR)/libbuurt-fuzz.a
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-seeds fuzz-toolchain

# Says what is missing instead of failing on the first compile.
fuzz-toolchain:
	@mkdir -p $(FUZZ_DIR)
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\n%s\n' \
	    'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n ? 0 : 0; }' \
	    | $(FUZZ_CC) -x c -fsanitize=fuzzer,address,undefined -o $(FUZZ_DIR)/toolchain-check - \
	    >/dev/null 2>&1 || { echo "fuzz: '$(FUZZ_CC)' cannot build libFuzzer programs:" \
	    "install clang and libclang-rt-14-dev (Debian 12), or set FUZZ_CC"; exit 1; }

$(FUZZ_DIR)/obj/%.o: %.c | fuzz-toolchain
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB) | fuzz-toolchain
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< $(FUZZ_LIB) $(FUZZ_LIBS)

$(FUZZ_DIR)/seeds: tests/fuzz/seeds.c $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_SAN) -o $@ $< $(FUZZ_LIB) $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz-seeds: $(FUZZ_DIR)/seeds
	$(FUZZ_DIR)/seeds tests/fuzz/corpus

# One run per harness on a scratch copy of its corpus (new inputs go there,
# never into the repository). libFuzzer exits non-zero on a crash, a leak,
# a timeout (-timeout, seconds per input) or running out of memory; every
# harness runs even when one fails, and the failures are listed at the end.
FUZZ_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
define FUZZ_RUN
	@failed=; for n in $(FUZZ_NAMES); do \
	    work=$(FUZZ_DIR)/work/$$n; log=$(FUZZ_DIR)/fuzz_$$n.log; \
	    rm -rf $$work; mkdir -p $$work; cp tests/fuzz/corpus/$$n/* $$work/; \
	    printf '== fuzz_%s, %s s: ' $$n $(1); \
	    if $(FUZZ_ENV) $(FUZZ_DIR)/fuzz_$$n -max_total_time=$(1) -timeout=10 \
	        -rss_limit_mb=2048 -max_len=$(FUZZ_MAX_LEN) -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_DIR)/crash-$$n- $$work >$$log 2>&1; then \
	        sed -n 's/^stat::number_of_executed_units: *//p' $$log | tr -d '\n'; \
	        echo " inputs, no failure"; \
	    else \
	        echo "FAILED"; \
	        grep -m 4 -E 'property does not hold|ERROR: |SUMMARY: |Test unit written' $$log || tail -n 30 $$log; \
	        echo "   (full log: $$log)"; failed="$$failed $$n"; \
	    fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzzing failed:$$failed"; exit 1; fi
endef

fuzz: fuzz-build
	$(call FUZZ_RUN,$(FUZZ_SECONDS))

fuzz-smoke: fuzz-build
	$(call FUZZ_RUN,3)

-include $(wildcard $(FUZZ_DIR)/obj/*/*.d $(FUZZ_DIR)/*.d)
