# Vigil. `make demo` runs the built-in scenario; `make test` runs every test.
GO ?= go
PG_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable

.PHONY: build demo test test-sqlite lint bench fuzz clean

build:
	$(GO) build -o bin/vigil ./cmd/vigil

demo:
	$(GO) run ./cmd/vigil demo

# All tests: the store suite on SQLite and PostgreSQL, HTTP scenarios, the
# browser test in headless Chromium. scripts/test-deps.sh installs Chromium
# and starts PostgreSQL when they are missing.
test:
	./scripts/test-deps.sh
	TEST_POSTGRES_URL='$(PG_URL)' VIGIL_E2E=1 $(GO) test -count=1 -timeout 14m ./...
	$(GO) vet -tags vigilbench ./internal/store ./internal/web # the benchmark-only files compile

# Quick run without PostgreSQL or a browser.
test-sqlite:
	$(GO) test -count=1 ./...

lint:
	@test -z "$$(gofmt -l cmd internal)" || { gofmt -l cmd internal; exit 1; }
	$(GO) vet ./...

# Benchmarks at scale (not part of `make test`); see BENCHMARKS.md.
bench:
	./scripts/bench.sh

# Fuzzing of every decoder of untrusted input (not part of `make test`).
FUZZTIME ?= 30s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin
