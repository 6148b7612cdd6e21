# mod_otp — build, test, demo and install. A thin wrapper around CMake.
#   make            build lib/ and mod_otp.so
#   make test       every test: cmocka unit tests, then Apache::Test end-to-end (event, prefork)
#   make demo       build and start the demo httpd on 127.0.0.1:$(DEMO_PORT)
#   make install    mod_otp.so into `apxs -q LIBEXECDIR`, otp.load/otp.conf into mods-available
#   make bench      the benchmarks of bench/README.md
# The test, demo and bench targets install missing Debian packages first.

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
DEMO_PORT ?= 8080
JOBS ?= $(shell nproc)
APXS ?= $(shell command -v apxs || command -v apxs2)

.PHONY: all build deps test unit-test e2e-test demo install bench clean

all: build

deps:
	@scripts/ensure-deps.sh build

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j$(JOBS)

test:
	@scripts/ensure-deps.sh test
	@$(MAKE) --no-print-directory build
	@scripts/run-all-tests.sh $(BUILD_DIR)

unit-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure

e2e-test: build
	scripts/run-e2e-tests.sh $(BUILD_DIR)

demo:
	@scripts/ensure-deps.sh demo
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh $(BUILD_DIR) $(DEMO_PORT)

install: build
	install -D -m 0644 $(BUILD_DIR)/mod_otp.so $(DESTDIR)$(shell $(APXS) -q LIBEXECDIR)/mod_otp.so
	install -D -m 0644 conf/otp.load $(DESTDIR)/etc/apache2/mods-available/otp.load
	install -D -m 0644 conf/otp.conf $(DESTDIR)/etc/apache2/mods-available/otp.conf

bench:
	@scripts/ensure-deps.sh bench
	@$(MAKE) --no-print-directory build
	scripts/run-benchmarks.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) t/logs t/var t/results t/conf/httpd.conf t/conf/extra.conf \
	       t/conf/apache_test_config.pm t/htdocs/index.html
