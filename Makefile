# leakbench - build, dependencies, tests, benchmarks.
#
#   make deps       install the Debian packages leakbench needs (idempotent; sudo when not root)
#   make            build ./leakbench
#   make test       deps + build + GHC fixtures + every Criterion test (a fresh machine's command)
#   make check      the same without deps: build, fixtures, tests (never touches the package manager)
#   make test-asan  the same under AddressSanitizer and UndefinedBehaviorSanitizer, then
#                   each fuzzer for 3 seconds
#   make bench      wall-time overhead of `leakbench exec` against a direct run, the
#                   eventlog reader's throughput and memory on a 200+ MB eventlog, and the
#                   verdict's detection rate and false alarms at the measured noise, and
#                   the dashboard's time and size over 500 and 5,000 revisions
#   make fuzz       libFuzzer on each parser (eventlog, RTS statistics, scenario, recording,
#                   config, LSP framing) for FUZZ_SECONDS each (default 5), from seeds the
#                   build and the fixtures make; longer by hand: make fuzz FUZZ_SECONDS=600
#   make install    PREFIX=/usr/local
#   make demo       deps + build, then the nightly job end to end on a demo history (demo/demo.sh)

PREFIX  ?= /usr/local
CC      ?= cc
BUILD   ?= build
PKGS    := libgit2 libcurl sqlite3 jansson inih libcrypto
DEB_PKGS := build-essential pkg-config libgit2-dev libcurl4-openssl-dev libssl-dev \
            libsqlite3-dev sqlite3 libjansson-dev libinih-dev libcriterion-dev ghc \
            libghc-aeson-dev cabal-install clangd python3-pylsp chromium git \
            clang libclang-rt-14-dev libghc-ghc-events-dev libjs-dygraphs xxd \
            python3-yaml

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libgit2, libcurl and libcrypto are compiled against but not linked: harness/rev.c,
# runners/http.c and base/digest.c load them when a command first needs them (a revision, a
# download, a hash; base/dynlib.h), so the other commands do not pay for loading them and
# the twenty-odd libraries they pull in.  The tests make git histories with libgit2 itself.
DYN_PKGS   := libgit2 libcurl libcrypto
PKG_LIBS   := $(shell pkg-config --libs $(filter-out $(DYN_PKGS),$(PKGS)) 2>/dev/null) -ldl
TEST_LIBS  := $(shell pkg-config --libs libgit2 2>/dev/null)
CRIT_CFLAGS := $(shell pkg-config --cflags criterion 2>/dev/null)
CRIT_LIBS   := $(shell pkg-config --libs criterion 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE -I. $(WARN) $(CFLAGS) $(PKG_CFLAGS)
LDLIBS  = $(PKG_LIBS) -lm

LIB_SRC := $(wildcard base/*.c runners/*.c results/*.c scenarios/*.c) \
           $(filter-out harness/main.c,$(wildcard harness/*.c))
HDRS    := $(wildcard */*.h)
TEST_SRC := $(wildcard tests/*.c)

# The trend pages' charting library, Debian's libjs-dygraphs, is built into leakbench (as C
# arrays made by xxd) so that `report` writes it beside the pages wherever it runs, and the
# site opens from disk with no network.
DYGRAPHS := /usr/share/javascript/dygraphs

# Each flavour (normal, asan) builds into its own folder.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g

.PHONY: all deps test check test-asan bench install clean demo fixtures fuzz

all: leakbench

define flavour # $(1)=folder $(2)=extra cflags
$(1)/obj/%.o: %.c $(HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $(2) -c $$< -o $$@
$(1)/gen/dygraphs.c: $(DYGRAPHS)/dygraph.min.js $(DYGRAPHS)/dygraph.min.css
	@mkdir -p $$(dir $$@)
	(cd $(DYGRAPHS) && xxd -i -n report_dygraph_js dygraph.min.js && xxd -i -n report_dygraph_css dygraph.min.css) > $$@
$(1)/gen/dygraphs.o: $(1)/gen/dygraphs.c
	$$(CC) $$(ALL_CFLAGS) $(2) -c $$< -o $$@
$(1)/libleakbench.a: $(patsubst %.c,$(1)/obj/%.o,$(LIB_SRC)) $(1)/gen/dygraphs.o
	@rm -f $$@
	$$(AR) rcs $$@ $$^
$(1)/leakbench: $(1)/obj/harness/main.o $(1)/libleakbench.a
	$$(CC) $(2) -o $$@ $$^ $$(LDLIBS)
$(1)/tests/leakbench-tests: $(patsubst %.c,$(1)/obj/%.o,$(TEST_SRC)) $(1)/libleakbench.a
	@mkdir -p $$(dir $$@)
	$$(CC) $(2) -o $$@ $$^ $$(CRIT_LIBS) $$(TEST_LIBS) $$(LDLIBS)
endef
$(eval $(call flavour,$(BUILD),))
$(eval $(call flavour,$(BUILD)/asan,$(SAN_FLAGS)))

$(BUILD)/obj/tests/%.o $(BUILD)/asan/obj/tests/%.o: ALL_CFLAGS += $(CRIT_CFLAGS)

# Fuzzing: the library again, by clang, instrumented for libFuzzer and the sanitizers; one
# program per parser (tests/fuzz/fuzz_NAME.c), run on seeds tests/fuzz/seeds.sh gathers.
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=undefined -g -O1
FUZZ_SECONDS ?= 5
FUZZERS      := eventlog rts scenario replay config lsp
$(BUILD)/fuzz/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(BUILD)/fuzz/libleakbench.a: $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRC)) $(BUILD)/gen/dygraphs.o
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(BUILD)/fuzz/libleakbench.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz: leakbench fixtures $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZERS))
	sh tests/fuzz/seeds.sh ./leakbench $(BUILD)/fixtures $(BUILD)/fuzz/seeds
	@for f in $(FUZZERS); do \
	  mkdir -p $(BUILD)/fuzz/corpus/$$f; \
	  echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(BUILD)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=1024 \
	    -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/crash-$$f- \
	    $(BUILD)/fuzz/corpus/$$f $(BUILD)/fuzz/seeds/$$f 2> $(BUILD)/fuzz/$$f.log \
	  || { tail -40 $(BUILD)/fuzz/$$f.log; echo "fuzz: $$f found a failure: $(BUILD)/fuzz/crash-$$f-*"; exit 1; }; \
	  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" $(BUILD)/fuzz/$$f.log | tr '\n' ' '; echo; \
	done

leakbench: $(BUILD)/leakbench
	cp $< $@

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	else echo "deps: all installed"; fi

# GHC fixtures, compiled once into $(BUILD)/fixtures and reused while their source is unchanged.
fixtures:
	@sh tests/fixtures/build.sh $(BUILD)/fixtures

TEST_ENV = LEAKBENCH_ROOT=$(CURDIR) LEAKBENCH_FIXTURES=$(CURDIR)/$(BUILD)/fixtures LEAKBENCH_TESTDATA=$(CURDIR)/tests/data \
           LEAKBENCH_SHARED=$(abspath ../shared)

test: deps
	$(MAKE) check

check:
	$(MAKE) leakbench $(BUILD)/tests/leakbench-tests fixtures
	$(TEST_ENV) LEAKBENCH_BIN=$(CURDIR)/$(BUILD)/leakbench $(BUILD)/tests/leakbench-tests --jobs 2

test-asan: deps
	$(MAKE) $(BUILD)/asan/leakbench $(BUILD)/asan/tests/leakbench-tests fixtures
	$(TEST_ENV) LEAKBENCH_BIN=$(CURDIR)/$(BUILD)/asan/leakbench \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(BUILD)/asan/tests/leakbench-tests --jobs 2
	$(MAKE) fuzz FUZZ_SECONDS=3

$(BUILD)/evlog_bench: $(BUILD)/obj/tests/bench/evlog_bench.o $(BUILD)/libleakbench.a
	$(CC) -o $@ $^ $(LDLIBS)

$(BUILD)/detect_sim: $(BUILD)/obj/tests/bench/detect_sim.o $(BUILD)/libleakbench.a
	$(CC) -o $@ $^ $(LDLIBS)

$(BUILD)/report_bench: $(BUILD)/obj/tests/bench/report_bench.o $(BUILD)/libleakbench.a
	$(CC) -o $@ $^ $(LDLIBS)

bench: deps leakbench fixtures $(BUILD)/evlog_bench $(BUILD)/detect_sim $(BUILD)/report_bench
	sh tests/bench/exec_overhead.sh ./leakbench $(BUILD)/fixtures
	sh tests/bench/evlog_throughput.sh $(BUILD)/evlog_bench $(BUILD)/fixtures ./leakbench
	sh tests/bench/evlog_census.sh ./leakbench
	sh tests/bench/detect_sim.sh ./leakbench $(BUILD)/detect_sim $(BUILD)/fixtures
	sh tests/bench/settled_spread.sh ./leakbench $(BUILD)/fixtures
	sh tests/bench/census_cost.sh ./leakbench $(BUILD)/fixtures
	sh tests/bench/report_scaling.sh $(BUILD)/report_bench

install: leakbench
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 leakbench $(DESTDIR)$(PREFIX)/bin/leakbench

demo: deps
	$(MAKE) leakbench
	sh demo/demo.sh ./leakbench

clean:
	rm -rf $(BUILD) leakbench
