# kvkit — see README.md. Every target is safe to run from a fresh clone.
GO      ?= go
BIN     := bin
DATA    := data

.PHONY: all build run test test-short bench man completions docs fmt vet clean deps

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# Start kv-server in the foreground with its embedded defaults, data in ./data.
run: build
	mkdir -p $(DATA)
	$(BIN)/kv-server --bind 127.0.0.1 --port 6379 --dir $(CURDIR)/$(DATA)

# Installs what the tests need (Go modules; Debian's Redis 7.0 when root), then runs
# vet, the unit tests with the race detector, integration, CLI and compatibility tests.
# -count=1: integration tests build and run binaries, which Go's test cache cannot see.
test: deps vet
	$(GO) test -race -count=1 -timeout 25m ./...

deps:
	scripts/deps.sh

# Benchmarks: Go benchmarks, then each bench/*.sh (kvkit against redis-server side by side).
bench: deps build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@for s in bench/*.sh; do [ -f "$$s" ] || continue; echo "== $$s"; bash "$$s" || exit 1; done

# Regenerate man pages and shell completions from the cli definitions.
man completions docs:
	$(GO) test ./cmd/... -run '^TestDocs$$' -count=1 -args -update

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf $(BIN)
