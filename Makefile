# Hangar — build, run, test, bench.
# On a fresh machine `make run` and `make test` are all you need.

GO      ?= go
BIN     := bin/hangar
# Test-only secret for `make run`: real deployments set DRONE_SECRET.
DEV_SECRET := hangar-dev-secret-0123456789abcdef

.PHONY: build run test vet bench lint clean

build:
	$(GO) build -o $(BIN) ./services/hangar

## run: start `hangar all` on :3000 with the sample config-repo/ and nothing outside.
run: build
	DRONE_SECRET=$${DRONE_SECRET:-$(DEV_SECRET)} $(BIN) all

## test: every test, with the race detector, against real PostgreSQL and Vault.
test:
	scripts/test-deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 40m ./...

## bench: every benchmark, each beside its baseline in the same run.
bench:
	scripts/test-deps
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 30m ./...

clean:
	rm -rf bin
