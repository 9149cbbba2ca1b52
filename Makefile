# tether: one hand-written Makefile (see docs/testing.md for the test layout).
#
#   make                 build build/tether and build/tetherctl
#   make demo            run a busybox container under tether (installs deps)
#   make check           unit + integration tests, and the podman compat suite
#                        where podman is installed (installs deps)
#   make check-compat    podman with tether and with conmon, compared
#   make SANITIZE=address,undefined check    the same under ASan/UBSan
#
# Dependencies come from pkg-config at recipe time (recursive '='), so that
# 'make deps' can install them first within the same invocation.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
BUNDLEDIR ?= /var/lib/tether/bundles
DOCDIR ?= $(PREFIX)/share/doc/tether
DESTDIR ?=

BUILD ?= build
ifneq ($(SANITIZE),)
BUILD := build/sanitize
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

PKGS     := glib-2.0 gio-unix-2.0 libsystemd json-c zlib
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))

CC      ?= cc
CFLAGS  ?= -O2 -g
TETHER_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wshadow -Wformat=2 -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) -MMD -MP $(SANFLAGS)
TETHER_LDFLAGS = -Wl,--as-needed $(SANFLAGS)

COMMON_SRC := $(wildcard src/common/*.c)
SHIM_SRC   := $(wildcard src/shim/*.c)
CTL_SRC    := $(wildcard src/ctl/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
SHIM_OBJ   := $(SHIM_SRC:%.c=$(BUILD)/%.o)
CTL_OBJ    := $(CTL_SRC:%.c=$(BUILD)/%.o)
# Everything but main() links into the unit tests too.
SHIM_LIB_OBJ := $(filter-out $(BUILD)/src/shim/main.o,$(SHIM_OBJ))
CTL_LIB_OBJ  := $(filter-out $(BUILD)/src/ctl/main.o,$(CTL_OBJ))
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
# Each fuzz target's corpus replayed without libFuzzer, in make check.
REPLAY_BIN := $(FUZZ_NAMES:%=$(BUILD)/tests/replay_%)

.SECONDARY:

.PHONY: all check check-unit check-integration check-compat check-compat-run check-run demo deps fmt fmt-check \
	install clean bench fuzz

all: $(BUILD)/tether $(BUILD)/tetherctl

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TETHER_CFLAGS) -c -o $@ $<

# The shim is linked statically (glib, json-c and libc: their .a files come
# with the -dev packages the build needs anyway): a shim per container, so
# its private memory counts a thousandfold. A static, non-PIE binary has no
# relocations to apply, so no library's data or GOT pages are copied into
# each shim; its code is shared page-cache like any binary's. (glibc warns
# about getpwnam & co. in glib's gutils.o: the shim never calls them.)
# SHIM_STATIC=0, or any SANITIZE build, links it dynamically.
SHIM_STATIC ?= $(if $(SANITIZE),0,1)
ifeq ($(SHIM_STATIC),1)
SHIM_LINK = -static -Wl,--no-warnings $(shell pkg-config --static --libs glib-2.0 json-c zlib)
else
SHIM_LINK = $(PKG_LIBS)
endif

$(BUILD)/tether: $(SHIM_OBJ) $(COMMON_OBJ)
	$(CC) $(TETHER_LDFLAGS) $(LDFLAGS) -o $@ $^ $(SHIM_LINK)

# The same objects linked dynamically, for valgrind (which cannot follow a
# static glibc's malloc): tests only, never installed.
$(BUILD)/tether-dynamic: $(SHIM_OBJ) $(COMMON_OBJ)
	$(CC) $(TETHER_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tetherctl: $(CTL_OBJ) $(COMMON_OBJ)
	$(CC) $(TETHER_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(SHIM_LIB_OBJ) $(CTL_LIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(TETHER_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

$(BUILD)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/driver.c $(SHIM_LIB_OBJ) $(CTL_LIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TETHER_CFLAGS) -DFUZZ_NAME='"$*"' $(TETHER_LDFLAGS) -o $@ \
		tests/fuzz/fuzz_$*.c tests/fuzz/driver.c $(SHIM_LIB_OBJ) $(CTL_LIB_OBJ) $(COMMON_OBJ) \
		$(PKG_LIBS)

# --- set-up -----------------------------------------------------------------

deps:
	@tests/lib/deps.sh

# --- tests ------------------------------------------------------------------

TEST_ENV = TETHER_SRC=$(CURDIR) TETHER=$(abspath $(BUILD)/tether) TETHERCTL=$(abspath $(BUILD)/tetherctl) \
	TETHER_BUILD=$(abspath $(BUILD)) TETHER_SANITIZE=$(SANITIZE)

# The podman compatibility suite, where podman is installed (make deps
# installs it; evaluated in the sub-make, after deps).
COMPAT_BATS = $(if $(shell command -v podman),$(wildcard tests/compat/*.bats))

check: deps
	@$(MAKE) --no-print-directory check-run

check-run: all $(BUILD)/tether-dynamic $(UNIT_BIN) $(REPLAY_BIN)
	@$(TEST_ENV) tests/run.sh $(UNIT_BIN) $(REPLAY_BIN) tests/integration/*.bats $(COMPAT_BATS)

check-compat: deps
	@$(MAKE) --no-print-directory check-compat-run

check-compat-run: all
	@$(TEST_ENV) tests/run.sh tests/compat/*.bats

check-unit: all $(UNIT_BIN) $(REPLAY_BIN)
	@$(TEST_ENV) tests/run.sh $(UNIT_BIN) $(REPLAY_BIN)

check-integration: all $(BUILD)/tether-dynamic
	@$(TEST_ENV) tests/run.sh tests/integration/*.bats

demo: deps
	@$(MAKE) --no-print-directory all
	@$(TEST_ENV) tests/lib/demo.sh

# tether and conmon side by side; BENCH_ARGS=--quick for a run under a minute.
bench: all
	@$(TEST_ENV) bench/run.sh $(BENCH_ARGS)

# libFuzzer (clang, Debian's libclang-rt) with ASan/UBSan: each target runs
# FUZZ_SECONDS from its corpus; new inputs go to build/fuzz/corpus, crashes
# to tests/fuzz/crashes/NAME/ (commit them: make check replays them).
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_LIB_SRC = $(filter-out src/shim/main.c,$(SHIM_SRC)) $(filter-out src/ctl/main.c,$(CTL_SRC)) \
	$(COMMON_SRC)

fuzz: $(FUZZ_NAMES:%=build/fuzz/fuzz_%)
	@failed=""; for t in $(FUZZ_NAMES); do \
		mkdir -p build/fuzz/corpus/$$t tests/fuzz/crashes/$$t; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s (log: build/fuzz/$$t.log)"; \
		build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=tests/fuzz/crashes/$$t/ \
			build/fuzz/corpus/$$t tests/fuzz/corpus/$$t > build/fuzz/$$t.log 2>&1 \
			|| { tail -40 build/fuzz/$$t.log; failed="$$failed $$t"; }; \
		grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' \
			build/fuzz/$$t.log; \
		rmdir tests/fuzz/crashes/$$t 2>/dev/null || true; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in:$$failed"; exit 1; fi

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE -Iinclude \
		$(PKG_CFLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(PKG_LIBS)

# --- formatting -------------------------------------------------------------

FMT_FILES = $(wildcard src/*/*.c include/tether/*.h tests/unit/*.c tests/unit/*.h)

fmt:
	clang-format -i $(FMT_FILES)

fmt-check:
	clang-format --dry-run -Werror $(FMT_FILES)

# --- install ----------------------------------------------------------------

# systemd/*.in get the installed paths.
SYSTEMD_SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@BUNDLEDIR@|$(BUNDLEDIR)|g' -e 's|@STATEROOT@|/run/tether|g' -e 's|@DOCDIR@|$(DOCDIR)|g'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/tether $(BUILD)/tetherctl $(DESTDIR)$(BINDIR)/
	$(SYSTEMD_SUBST) systemd/tether.conf.in >$(DESTDIR)$(TMPFILESDIR)/tether.conf
	$(SYSTEMD_SUBST) systemd/tether@.service.in >$(DESTDIR)$(UNITDIR)/tether@.service
	chmod 0644 $(DESTDIR)$(TMPFILESDIR)/tether.conf $(DESTDIR)$(UNITDIR)/tether@.service
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -Dm644 completion/tetherctl.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tetherctl

clean:
	rm -rf build

-include $(wildcard $(BUILD)/src/*/*.d $(BUILD)/tests/unit/*.d)
