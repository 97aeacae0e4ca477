# portreach: `make run` builds and scans this machine's loopback; `make test` installs
# what the tests need (Debian packages for the test daemons, as root) and runs them.
GO      ?= go
BIN     ?= bin/portreach
PKGS    ?= ./...

.PHONY: build run test test-deps unit vet fuzz bench profiles-md dist dist-check clean

# What a build says it is ("portreach version", reports' tool version), from git
# in this tree and linked in with -X, because the go command's own VCS stamp is
# missing under -buildvcs=false and in git worktrees (cmd/portreach/version.go).
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
REVISION    ?= $(shell git rev-parse HEAD 2>/dev/null)
COMMIT_TIME ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
MODIFIED    ?= $(shell git status --porcelain 2>/dev/null | grep -q . && echo true)
STAMP       = -X main.buildVersion=$(VERSION) -X main.buildRevision=$(REVISION) \
              -X main.buildTime=$(COMMIT_TIME) -X main.buildModified=$(MODIFIED)

build:
	$(GO) build -ldflags '$(STAMP)' -o $(BIN) ./cmd/portreach

run: build
	./$(BIN) scan -f table -p T:22,25,53,80,88,135,389,443,445,1433,3389,5985,U:53,88,123,137,161,389,1434 127.0.0.1
	@echo
	@echo "Next: ./$(BIN) profiles (the role profiles), ./$(BIN) scan --help, README.md."

test-deps:
	./scripts/test-deps.sh

vet:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed on:" >&2; echo "$$out" >&2; exit 1; fi
	$(GO) vet $(PKGS)
	GOOS=windows $(GO) build $(PKGS)

# Unit and integration tests (integration tests build network-namespace test hosts
# in 198.18.0.0/15 and need root; without it they skip, except under CI=true).
test: test-deps vet
	$(GO) test -race -count=1 -timeout 30m $(PKGS)
	$(GO) test -race -count=1 -run 'TCP|FD|Cancel|MaxTime|EngineStates|Loss|ManyHosts|EPM' ./scan -args -portable

unit:
	$(GO) test -short -count=1 $(PKGS)

# Each parser's fuzz target for FUZZTIME (default 60s).
FUZZTIME ?= 60s
fuzz:
	@for pkg in ./msrpc ./probes ./results ./report ./profiles ./scan ./exporter ./listeners; do \
	  for f in $$($(GO) test -list 'Fuzz.*' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -parallel 1 $$pkg || exit 1; \
	  done; done

bench: build
	./scripts/bench.sh

# Release archives for Windows, Linux and macOS (amd64, arm64) with SHA256SUMS in
# DIST, reproducible: the same commit and Go give the same bytes (internal/dist).
# dist-check builds them a second time with an empty build cache and compares.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
DIST              ?= dist
DISTFLAGS          = -version $(VERSION) -revision '$(REVISION)' -commit-time '$(COMMIT_TIME)' \
                     -modified=$(if $(MODIFIED),true,false) -mtime $(SOURCE_DATE_EPOCH) -out $(DIST)

dist:
	$(GO) run ./internal/dist $(DISTFLAGS)

dist-check:
	$(GO) run ./internal/dist $(DISTFLAGS) -check

profiles-md:
	$(GO) generate ./profiles

clean:
	rm -rf bin $(DIST)
