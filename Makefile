# Hangar — build, run, test, bench.
# On a fresh machine `make run` and `make test` are all you need.

GO      ?= go
BIN     := bin/hangar
# Test-only secret for `make run`: real deployments set DRONE_SECRET.
DEV_SECRET := hangar-dev-secret-0123456789abcdef
# Test-only admin token and database key for `make run`.
DEV_TOKEN     := hangar-dev-token-0123456789abcdef
DEV_DB_SECRET := hangar-dev-database-key-01234567

.PHONY: build run test vet bench lint clean

build:
	$(GO) build -o $(BIN) ./services/hangar

## run: start `hangar all` on :3000 with the sample config-repo/ and nothing outside.
run: build
	@echo "drone CLI: scripts/tools builds bin/drone (drone-cli v1.8.0), then"
	@echo "  export DRONE_SERVER=http://localhost:3000 DRONE_TOKEN=$(DEV_TOKEN)"
	@echo "  bin/drone info; bin/drone repo enable octo/hello; bin/drone build create octo/hello --branch main"
	DRONE_SECRET=$${DRONE_SECRET:-$(DEV_SECRET)} \
	DRONE_DATABASE_SECRET=$${DRONE_DATABASE_SECRET:-$(DEV_DB_SECRET)} \
	DRONE_USER_CREATE=$${DRONE_USER_CREATE:-username:admin,admin:true,machine:true,token:$(DEV_TOKEN)} \
	$(BIN) all

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
