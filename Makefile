# SecureCoAP — one entry point for set-up, demo, tests, interop and benchmarks.
# Every target installs what it needs (apt packages, the Python venv) when missing, idempotently.

SHELL        := /bin/bash
ROOT         := $(abspath .)
VENV         := $(ROOT)/.venv
PYTHON       := $(VENV)/bin/python
SWIFT        ?= swift
APT_PACKAGES := libcoap3-dev libcoap3-bin libssl-dev libsqlite3-dev pkg-config autoconf automake libtool gcc python3-venv python3-dev sqlite3 openssl
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export SECURECOAP_VENV := $(VENV)

.PHONY: all deps apt venv build build-release test unit-test demo bench interop soak sanitize fuzz clean

all: build

## Install missing Debian packages (apt-get update runs only when something is missing).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

## Python venv with the interop peers (pycose, cbor2<6, aiocoap + DTLSSocket, python-mbedtls).
## DTLSSocket is built from source (autoconf, automake, libtool, gcc); its build tools are pinned
## through PIP_CONSTRAINT, which pip also applies inside its isolated build environments.
venv: $(VENV)/.stamp
$(VENV)/.stamp: interop/requirements.txt interop/peers/build-constraints.txt | deps
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	PIP_CONSTRAINT=$(ROOT)/interop/peers/build-constraints.txt $(PYTHON) -m pip install -q --disable-pip-version-check --no-input -r interop/requirements.txt
	cd / && $(PYTHON) -c "import aiocoap, DTLSSocket.dtls, mbedtls.tls, pycose, cbor2"
	@touch $@

build: deps
	$(SWIFT) build

build-release: deps
	$(SWIFT) build -c release

## The whole test suite: unit tests, integration tests against libcoap's peers, interop, and a
## brief run of every fuzz target.
test: deps venv
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel --num-workers 2
	SWIFT="$(SWIFT)" $(PYTHON) interop/matrix.py --no-write
	bash Fuzz/run.sh 5

## The interop matrix: this stack against libcoap (notls, OpenSSL, GnuTLS), aiocoap, tinydtls,
## Mbed TLS, pycose and aiocoap-rd, both directions; prints it and writes interop/RESULTS.md.
interop: deps venv
	$(SWIFT) build
	SWIFT="$(SWIFT)" $(PYTHON) interop/matrix.py

demo: deps
	$(SWIFT) build
	bash Examples/demo.sh

## Benchmarks (release builds, loopback), one report: Benchmarks/RESULTS.md and results.svg.
## GETs (plain, DTLS, new DTLS sessions) vs coap-server-openssl and aiocoap, ingestion with and
## without encryption at rest, seal+open vs raw OpenSSL, memory per idle DTLS session, wire bytes.
bench: deps venv
	$(SWIFT) build -c release --product seal-bench
	mkdir -p Benchmarks/out
	$$($(SWIFT) build -c release --show-bin-path)/seal-bench 7 5000 | tee Benchmarks/out/seal-bench.md
	ROUNDS=$${ROUNDS:-3} bash Benchmarks/run-coap-bench.sh
	bash Benchmarks/run-memory-bench.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter WireSizeTests 2>&1 | tee Benchmarks/out/wire.txt
	python3 Benchmarks/report.py

## Coverage-guided fuzzing (libFuzzer + ASan) of every parser, SECONDS per target (Fuzz/README.md;
## `make test` runs each for 5 s). make fuzz SECONDS=600
SECONDS ?= 60
fuzz: deps
	bash Fuzz/run.sh $(SECONDS)

## The unit and integration tests under ThreadSanitizer, then AddressSanitizer + LeakSanitizer
## (scratch paths .build-tsan, .build-asan; the reports of every spawned child collected).
sanitize: deps venv
	SWIFT="$(SWIFT)" bash .ci/sanitize.sh all

## The soak (not part of `make test`): SESSIONS DTLS sessions (default 1,000), each reporting a
## sealed reading once a second for SOAK_SECONDS (default 600); writes Benchmarks/out/soak.md.
soak: deps
	SWIFT="$(SWIFT)" bash Benchmarks/run-soak.sh

clean:
	rm -rf .build
