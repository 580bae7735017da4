# auditkeep — `make help` lists the targets.

GO        ?= go
PKGS      ?= ./...
BENCH_OUT ?= bench-results
STATICCHECK_VERSION ?= v0.8.2
FUZZTIME  ?= 60s
CI_FUZZTIME ?= 3s

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Run the service on ./auditkeep.db (same as go run ./cmd/auditkeep serve).
	$(GO) run ./cmd/auditkeep serve

.PHONY: build
build: ## Build ./auditkeep.
	$(GO) build -o auditkeep ./cmd/auditkeep

.PHONY: test
test: ## Run every test on SQLite and PostgreSQL, then each fuzz target for CI_FUZZTIME (what CI runs).
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 20m $(PKGS)
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(CI_FUZZTIME)

.PHONY: lint
lint: ## gofmt, go vet and staticcheck.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)

.PHONY: bench
bench: ## Go benchmarks and auditkeep bench; results go to $(BENCH_OUT)/ for docs/BENCHMARKS.md.
	mkdir -p $(BENCH_OUT)
	$(GO) test -run '^$$' -bench . -benchtime 3x -timeout 60m $(PKGS) | tee $(BENCH_OUT)/go-bench.txt
	$(GO) run ./cmd/auditkeep bench ledger --events $${LEDGER_EVENTS:-1000000} | tee $(BENCH_OUT)/ledger.md

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 60s); new findings land in testdata/fuzz.
	@for t in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
		for f in $$(grep -h '^func Fuzz' $$t/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
			echo "== $$t $$f ($(FUZZTIME))"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -parallel 2 $$t || exit 1; \
		done; \
	done
