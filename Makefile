# SPDX-License-Identifier: Apache-2.0
# Gatewarden build. `make` builds, `make check` tests, `make demo` demonstrates.
# SANITIZE=1 builds with ASan+UBSan into build-san/; V=1 shows commands.

CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif
PREFIX ?= /usr/local
DESTDIR ?=
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# /etc for a system install (PREFIX=/usr), PREFIX/etc otherwise.
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
else
SYSCONFDIR ?= $(PREFIX)/etc
endif
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/gatewarden

ifeq ($(SANITIZE),1)
B ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FORTIFY := -U_FORTIFY_SOURCE
else
B ?= build
SANFLAGS :=
FORTIFY := -D_FORTIFY_SOURCE=3
endif

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
ifneq ($(WERROR),0)
WARN += -Werror
endif
HARDEN := -fstack-protector-strong $(FORTIFY) -fPIE
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -pthread $(WARN) $(HARDEN) $(SANFLAGS) $(CFLAGS) -Icommon -MMD -MP
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now -pthread $(SANFLAGS) $(LDFLAGS)
# libarchive: the bundle container (common/bundle.c); libsystemd: sd_notify for the
# daemons (common/notify.c).
LIBS := -ltss2-esys -ltss2-mu -ltss2-rc -ltss2-tctildr -ljson-c -linih -larchive -lssl -lcrypto \
	-lsystemd
# The verifier's HTTPS server and store; the agent's HTTPS client.
VERIFIER_LIBS := -levent_openssl -levent_pthreads -levent -lsqlite3
AGENT_LIBS := -lcurl -lubootenv
# gwagent links libarchive statically, so the gateway does not load libarchive's
# own dependencies (libxml2 -> libicuuc -> libicudata, 30 MB, and libstdc++) at
# every start for the xar format it never uses. archive_write_set_format.o (pulled
# in by the pax writer) references every writer, xar's libxml2 calls among them:
# only lld drops a library whose symbols are referenced from garbage-collected
# sections alone (GNU ld keeps libxml2 NEEDED). doc/testing.md has the measurement.
AGENT_ARCHIVE := -fuse-ld=lld -Wl,--gc-sections -Wl,--as-needed \
	-Wl,-Bstatic -larchive -Wl,-Bdynamic

ifneq ($(V),1)
Q := @
say = @printf '  %-7s %s\n' $(1) $(2);
else
Q :=
say :=
endif

COMMON_SRC := $(wildcard common/*.c)
AGENT_SRC := $(filter-out agent/main.c,$(wildcard agent/*.c))
VERIFIER_SRC := $(filter-out verifier/main.c,$(wildcard verifier/*.c))
POLICY_SRC := $(filter-out policy/main.c,$(wildcard policy/*.c))
TEST_SRC := $(wildcard common/tests/test_*.c agent/tests/test_*.c verifier/tests/test_*.c policy/tests/test_*.c)
TOOL_SRC := $(wildcard swtpm-tests/tools/*.c)
BENCH_SRC := $(wildcard bench/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIBGW := $(B)/libgw.a
LIBAGENT := $(B)/libagent.a
LIBVERIFIER := $(B)/libverifier.a
LIBPOLICY := $(B)/libpolicy.a
BINS := $(B)/gwagent $(B)/gwverifier $(B)/gwpolicy
TESTS := $(patsubst %.c,$(B)/%,$(TEST_SRC))
TOOLS := $(patsubst swtpm-tests/tools/%.c,$(B)/tools/%,$(TOOL_SRC))
BENCHES := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))

.SECONDARY:
.PHONY: all deps check unit swtpm-check vm-check fuzz fuzz-smoke demo demo-vm bench install clean \
	valgrind tests tools man deb deb-check
all: deps $(BINS) $(TOOLS)

deps:
	@scripts/deps.sh $(DEPS_ARGS)
# The swtpm scenarios include t_deb, which builds the Debian packages.
check valgrind swtpm-check deb deb-check: DEPS_ARGS := --deb

$(B)/obj/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Tools and agent unit tests use the agent's headers.
$(B)/obj/swtpm-tests/%.o $(B)/obj/agent/tests/%.o: ALL_CFLAGS += -Iagent
# Test tools also use the verifier's (gw-storefill fills a store).
$(B)/obj/swtpm-tests/%.o: ALL_CFLAGS += -Iverifier
$(B)/obj/verifier/tests/%.o $(B)/obj/bench/%.o: ALL_CFLAGS += -Iverifier
$(B)/obj/policy/tests/%.o: ALL_CFLAGS += -Ipolicy
# Parser tests share common/tests/fixture_list.h (every bad fixture has a result).
$(B)/obj/agent/tests/%.o $(B)/obj/verifier/tests/%.o: ALL_CFLAGS += -Icommon/tests
# The verifier, its tests, the test tools and benchmarks use the policy evaluator.
$(B)/obj/verifier/%.o $(B)/obj/swtpm-tests/%.o $(B)/obj/bench/%.o: ALL_CFLAGS += -Ipolicy

$(LIBGW): $(call obj,$(COMMON_SRC))
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBAGENT): $(call obj,$(AGENT_SRC))
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBVERIFIER): $(call obj,$(VERIFIER_SRC))
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBPOLICY): $(call obj,$(POLICY_SRC))
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/gwagent: $(call obj,agent/main.c) $(LIBAGENT) $(LIBGW)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(filter-out -larchive,$(LIBS)) $(AGENT_ARCHIVE) \
		$(AGENT_LIBS)
$(B)/gwverifier: $(call obj,verifier/main.c) $(LIBVERIFIER) $(LIBPOLICY) $(LIBGW)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(VERIFIER_LIBS)
$(B)/gwpolicy: $(call obj,policy/main.c) $(LIBPOLICY) $(LIBGW)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Unit tests link the component library they sit beside, plus libgw and cmocka;
# the verifier's also link libcurl, the client that drives its HTTPS server.
$(B)/common/tests/%: $(call obj,common/tests/%.c) $(LIBGW)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) -lcmocka
$(B)/agent/tests/%: $(call obj,agent/tests/%.c) $(LIBAGENT) $(LIBGW)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(AGENT_LIBS) -lcmocka
$(B)/verifier/tests/%: $(call obj,verifier/tests/%.c) $(LIBVERIFIER) $(LIBPOLICY) $(LIBGW)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LIBS) $(VERIFIER_LIBS) -lcurl -lcmocka
# The HTTPS server's tests share one fixture (a throwaway PKI, a server, clients).
$(B)/verifier/tests/test_httpd $(B)/verifier/tests/test_httpd_conns: \
	$(call obj,verifier/tests/httpd_fixture.c)
# The store's tests share one fixture (a fresh store file per test).
$(B)/verifier/tests/test_store_policy $(B)/verifier/tests/test_store_release \
$(B)/verifier/tests/test_store_update_key $(B)/verifier/tests/test_store_counters \
$(B)/verifier/tests/test_store_device_update $(B)/verifier/tests/test_fleet_rollout \
	$(B)/verifier/tests/test_service_counters $(B)/verifier/tests/test_metrics_http \
	$(B)/verifier/tests/test_store_retention $(B)/verifier/tests/test_audit_archive \
	$(B)/verifier/tests/test_audit_export_round $(B)/verifier/tests/test_boot_files: \
	$(call obj,verifier/tests/store_fixture.c)
# The metrics listener's test holds the listener's store read (link-time wrap).
$(B)/verifier/tests/test_metrics_http: ALL_LDFLAGS += -Wl,--wrap=store_device_list
# gw_link_durable's test forces its link + unlink fallback, that fallback's
# failures and a FAT file system through these libc calls (link-time wraps).
$(B)/common/tests/test_util_link: ALL_LDFLAGS += -Wl,--wrap=renameat2,--wrap=link \
	-Wl,--wrap=unlink,--wrap=fstatfs,--wrap=fsync
# The archiving rounds' test fails chosen fsyncs (link-time wrap).
$(B)/verifier/tests/test_audit_export_round: ALL_LDFLAGS += -Wl,--wrap=fsync
# The parsers' tests check that every bad fixture has an expected result.
$(B)/common/tests/test_bundle $(B)/common/tests/test_dsse $(B)/common/tests/test_evidence \
$(B)/common/tests/test_manifest $(B)/common/tests/test_root $(B)/agent/tests/test_update_authz \
$(B)/verifier/tests/test_api $(B)/verifier/tests/test_polreset: \
	$(call obj,common/tests/fixture_list.c)
$(B)/policy/tests/%: $(call obj,policy/tests/%.c) $(LIBPOLICY) $(LIBGW)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) -lcmocka
$(B)/tools/%: $(call obj,swtpm-tests/tools/%.c) $(LIBAGENT) $(LIBVERIFIER) $(LIBPOLICY) $(LIBGW)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(AGENT_LIBS) $(VERIFIER_LIBS)
$(B)/bench/%: $(call obj,bench/%.c) $(LIBVERIFIER) $(LIBPOLICY) $(LIBGW)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(VERIFIER_LIBS) -lcurl

tests: deps $(TESTS)
tools: deps $(TOOLS)

# libFuzzer targets: clang, ASan+UBSan, common/, the agent's and the verifier's
# config parsers, the agent's bootloader-state parsers, the verifier's server names, the
# bundle download headers (the verifier's Range, the agent's Content-Range and ETag)
# and the minimal policy parser
# compiled again with coverage.
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_B ?= build-fuzz
FUZZ_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -g -O1 -Icommon -Iagent -Iverifier -Ipolicy -fsanitize=fuzzer-no-link,address,undefined -MMD -MP
FUZZ_BINS := $(patsubst fuzz/%.c,$(FUZZ_B)/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_B)/obj/%.o,$(COMMON_SRC) agent/config.c agent/config_channel.c agent/counter_check.c agent/answers.c agent/bl_parse.c verifier/vconfig.c verifier/api.c \
	agent/config_update.c agent/update_state.c agent/slot_write.c agent/update_offer.c \
	agent/config_health.c agent/config_consent.c \
	agent/update_fetch_parse.c agent/update_authz.c \
	verifier/servernames.c verifier/polreset.c verifier/release_range.c verifier/device_updates.c \
	$(wildcard policy/gwpol*.c))
$(FUZZ_B)/obj/%.o: %.c
	$(call say,FUZZCC,$<)
	@mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -c -o $@ $<
# The audit archive reader recomputes the store's chain hash (verifier/store_audit.c),
# which brings the store and SQLite along.
$(FUZZ_B)/fuzz_audit_archive: $(patsubst %.c,$(FUZZ_B)/obj/%.o,verifier/audit_archive.c \
	$(wildcard verifier/store*.c))
$(FUZZ_B)/fuzz_audit_archive: LIBS += -lsqlite3
$(FUZZ_B)/%: $(FUZZ_B)/obj/fuzz/%.o $(FUZZ_LIB_OBJ)
	$(call say,FUZZLD,$@)
	$(Q)clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)
fuzz: deps $(FUZZ_BINS)

unit: tests
	@scripts/run-unit.sh $(B) $(TESTS)
swtpm-check: all man
	@swtpm-tests/run.sh $(B)

# The gateway VM (OVMF, GRUB, a Debian kernel, swtpm) under QEMU/TCG; make check runs
# it too (scripts/check.sh).
vm-check: all
	@swtpm-tests/vm/run.sh $(B)
fuzz-smoke: fuzz
	@scripts/run-fuzz.sh $(FUZZ_B) $(FUZZ_BINS)

check: deps all tests fuzz man
	@scripts/check.sh $(B) $(FUZZ_B)

valgrind: deps all tests man
	@VALGRIND=1 scripts/check.sh $(B) $(FUZZ_B) --no-fuzz

demo: deps all
	@scripts/demo.sh $(B)

# The gateway VM's scenarios 1-3, narrated (scripts/demo_vm.sh).
demo-vm: deps all
	@scripts/demo_vm.sh $(B)

bench: deps all $(BENCHES)
	@scripts/bench.sh $(B)

# Man pages (scripts/mkman.sh): the commands' from their --help and --version
# (help2man), the configuration files' from the shipped samples in dist/config.
MANPAGES := $(B)/man/gwagent.8 $(B)/man/gwverifier.8 $(B)/man/gwpolicy.1 \
	$(B)/man/gatewarden-agent.conf.5 $(B)/man/gatewarden-verifier.conf.5
man: $(MANPAGES)
$(MANPAGES) &: $(BINS) scripts/mkman.sh $(wildcard man/*) $(wildcard dist/config/*.conf)
	$(call say,MAN,$(B)/man)
	$(Q)scripts/mkman.sh $(B) $(B)/man

# Installing installs, nothing else: no dependency script, no package manager.
# Binaries, units, man pages, the sample configurations (never over an existing
# one), the docs and the policy format's JSON Schema beside them.
UNIT_SUBST := -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
install: $(BINS) $(MANPAGES)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/gatewarden
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 README.md doc/*.md doc/policy.schema.json $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(B)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(B)/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(B)/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	for u in dist/systemd/*.service.in; do \
		sed $(UNIT_SUBST) "$$u" > "$(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename "$$u" .in)" && \
		chmod 0644 "$(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename "$$u" .in)" || exit 1; \
	done
	for c in dist/config/*.conf; do \
		t="$(DESTDIR)$(SYSCONFDIR)/gatewarden/$$(basename "$$c")"; \
		if [ -e "$$t" ]; then echo "install: $$t exists, kept"; \
		else install -m 0644 "$$c" "$$t" || exit 1; fi; \
	done

# Debian packages (debian/): dpkg-buildpackage writes them to $(B)/deb/.
deb: deps
	@scripts/mkdeb.sh $(B)/deb
# The packages built, lintian, and installed into a throwaway root.
deb-check: deps $(BINS)
	@swtpm-tests/run.sh $(B) t_deb

clean:
	rm -rf build build-san build-fuzz

# Only the compiler's dependency files: test scenarios leave *.d directories
# (systemd drop-ins) under $(B)/test-results.
-include $(shell find $(B)/obj $(FUZZ_B)/obj -name '*.d' -type f 2>/dev/null)
