# mod_otp — build, test, demo and install. A thin wrapper around CMake.
#   make            build lib/ and mod_otp.so
#   make test       every test: cmocka unit tests, then Apache::Test end-to-end (event, prefork)
#   make test SANITIZE=1   the same with ASan + UBSan, built in build-asan/ (MPMS=event: one MPM)
#   make demo       build and start the demo httpd on 127.0.0.1:$(DEMO_PORT)
#   make install    mod_otp.so into `apxs -q LIBEXECDIR`, otp.load/otp.conf into mods-available,
#                   the example pipe programs of conf/pipes/ into /usr/local/lib/mod_otp/
#   make bench      the benchmarks of bench/README.md
#   make fuzz       every libFuzzer target for 600 s (make fuzz-ci: 12 s each, as CI does)
# The test, demo, bench and fuzz targets install missing Debian packages first.
# Every build re-runs the CMake configure step (cheap), so packages installed since the last
# build (cmocka after `make demo`, say) are found.

SANITIZE ?=
ifeq ($(SANITIZE),1)
BUILD_DIR ?= build-asan
CMAKE_SANITIZE := -DOTP_SANITIZE=ON
else
BUILD_DIR ?= build
CMAKE_SANITIZE := -DOTP_SANITIZE=OFF
endif
BUILD_TYPE ?= RelWithDebInfo
DEMO_PORT ?= 8080
JOBS ?= $(shell nproc)
APXS ?= $(shell command -v apxs || command -v apxs2)
# MPMs of the end-to-end suite (empty: event and prefork).
MPMS ?=
# Extra cmake -D options; `make test` adds -DOTP_TESTS=ON (cmocka required).
CMAKE_ARGS ?=

.PHONY: all build configure deps test unit-test e2e-test demo install bench fuzz fuzz-ci clean

all: build

deps:
	@scripts/ensure-deps.sh build

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_SANITIZE) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

test:
	@scripts/ensure-deps.sh test
	@$(MAKE) --no-print-directory build CMAKE_ARGS="-DOTP_TESTS=ON $(CMAKE_ARGS)"
	@scripts/run-all-tests.sh $(BUILD_DIR) $(MPMS)

unit-test:
	@scripts/ensure-deps.sh test
	@$(MAKE) --no-print-directory build CMAKE_ARGS="-DOTP_TESTS=ON $(CMAKE_ARGS)"
	cd $(BUILD_DIR) && ctest --output-on-failure

e2e-test: build
	scripts/run-e2e-tests.sh $(BUILD_DIR) $(MPMS)

demo:
	@scripts/ensure-deps.sh demo
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh $(BUILD_DIR) $(DEMO_PORT)

install: build
	install -D -m 0644 $(BUILD_DIR)/mod_otp.so $(DESTDIR)$(shell $(APXS) -q LIBEXECDIR)/mod_otp.so
	install -D -m 0644 conf/otp.load $(DESTDIR)/etc/apache2/mods-available/otp.load
	install -D -m 0644 conf/otp.conf $(DESTDIR)/etc/apache2/mods-available/otp.conf
	install -d -m 0755 $(DESTDIR)/usr/local/lib/mod_otp
	install -m 0755 conf/pipes/otp-send-mail conf/pipes/otp-send-sms conf/pipes/otp-validate-http $(DESTDIR)/usr/local/lib/mod_otp/

bench:
	@scripts/ensure-deps.sh bench
	@$(MAKE) --no-print-directory build
	scripts/run-benchmarks.sh $(BUILD_DIR)

# scripts/run-fuzz.sh SECONDS builds build-fuzz/ (clang, libFuzzer) and runs every target.
fuzz:
	@scripts/ensure-deps.sh fuzz
	@scripts/run-fuzz.sh 600

fuzz-ci:
	@scripts/ensure-deps.sh fuzz
	@scripts/run-fuzz.sh 12

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz t/logs t/var t/results t/conf/httpd.conf \
	       t/var-module t/conf/extra.conf t/conf/apache_test_config.pm t/htdocs/index.html
