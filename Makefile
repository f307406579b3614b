# Switchboard: two commands do all the set-up on a fresh machine.
#   make run    serve locally, offline, on the embedded store (http://127.0.0.1:8080)
#   make test   install the test tools (.venv: moto, cargo-lambda, cfn-lint) and run everything
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
CHECKOV_VENV := .venv-checkov
PYTHON ?= python3
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# Local development secrets for examples/switchboard.yaml (override in the environment).
ACME_APP_SECRET ?= local-dev-app-secret
ACME_VERIFY_TOKEN ?= local-dev-verify-token-0123456789
ACME_PAGE_TOKEN ?= local-dev-page-token
SWITCHBOARD_ADMIN_TOKEN ?= local-dev-admin-token-change-me
# The secret `make sample-bot` and README's bot settings share.
SWITCHBOARD_BOT_SECRET ?= local-dev-bot-secret-0123456789
export ACME_APP_SECRET ACME_VERIFY_TOKEN ACME_PAGE_TOKEN SWITCHBOARD_ADMIN_TOKEN SWITCHBOARD_BOT_SECRET

CONFIG ?= examples/switchboard.yaml
GRAPH_URL ?= https://graph.facebook.com
DATA_DIR ?= .switchboard
# Where make run and make fake-graph listen (the README's quick-start test moves them).
ADDR ?= 127.0.0.1:8080
FAKE_GRAPH_ADDR ?= 127.0.0.1:8090
SAMPLE_BOT_ADDR ?= 127.0.0.1:8070
TEXT ?=
PSID ?= 7700000000000001

ID ?=
ARGS ?=

.PHONY: sample-bot readme-test link console-first-load run fake-graph simulate conversations timeline pages test test-tools lint fmt bench build deploy destroy clean reset install console console-test

# The console (console/): a Vite + React single-page application, served by `switchboard serve` at /.
CONSOLE_DIR := console/dist
CONSOLE_SOURCES := $(shell find console/src console/index.html console/package.json console/vite.config.ts console/tsconfig.json -type f -not -path 'console/src/generated/*' 2>/dev/null)
CHROMIUM ?= /usr/bin/chromium
# apt-get as root, else through sudo.
APT_GET := $(if $(filter 0,$(shell id -u)),apt-get,sudo apt-get)

## run: build (showing its progress), then serve every function on 127.0.0.1:8080 with the example config (offline), the console at /, and print what to do next
run: console
	cargo run -p switchboard-cli -- serve --config $(CONFIG) --data-dir $(DATA_DIR) --graph-url $(GRAPH_URL) --console-dir $(CONSOLE_DIR) --addr $(ADDR)

console/node_modules/.installed: console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	touch $@

$(CONSOLE_DIR)/index.html: console/node_modules/.installed $(CONSOLE_SOURCES) console/package-lock.json docs/agent-api.yaml docs/openapi.yaml
	cd console && npm run build
	touch $@

## console: build the console (npm ci, npm run build) when console/dist is missing or older than its sources
console: $(CONSOLE_DIR)/index.html

## console-test: lint, typecheck, Vitest, then Playwright in Debian's Chromium against a real serve and the fake Graph
console-test: console
	@test -x $(CHROMIUM) || { $(APT_GET) update && $(APT_GET) install -y chromium; }
	cd console && npm run gen && npx eslint . && npx tsc --noEmit && npx vitest run
	cargo build -q -p switchboard-cli
	cd console && CHROMIUM_PATH=$(CHROMIUM) npx playwright test

## readme-test: run README's quick start and the sections after it, literally, against make run and make fake-graph
readme-test: console
	$(PYTHON) tests/readme_quickstart.py

## link: print a one-time console sign-in link for an agent (AGENT=anna; SUPERVISOR=1 for the supervisor view)
AGENT ?= anna
link:
	cargo run -q -p switchboard-cli -- agent link "$(AGENT)" $(if $(SUPERVISOR),--supervisor,)

## fake-graph: a local stand-in for Meta's Graph API on 127.0.0.1:8090 (then: make run GRAPH_URL=http://127.0.0.1:8090)
fake-graph:
	cargo run -q -p switchboard-cli -- fake-graph --addr $(FAKE_GRAPH_ADDR)

## sample-bot: a small workstream bot on 127.0.0.1:8070 (opening hours, orders; invoices and the rest go to humans)
sample-bot:
	cargo run -q -p switchboard-cli -- sample-bot --addr $(SAMPLE_BOT_ADDR)

## simulate: send a signed customer message to the running server (TEXT=..., PSID=...; ARGS="--tap 5" taps a quick reply, ARGS="--age 30h" sends an old one)
simulate:
	cargo run -q -p switchboard-cli -- simulate --app-secret "$(ACME_APP_SECRET)" --psid "$(PSID)" $(if $(TEXT),--text "$(TEXT)") $(ARGS)

## conversations: list conversations on the running server
conversations:
	cargo run -q -p switchboard-cli -- conversations

## pages: every page's provisioning state and the alerts
pages:
	cargo run -q -p switchboard-cli -- pages

## timeline: print a conversation's timeline (ID=cv_...)
timeline:
	cargo run -q -p switchboard-cli -- timeline "$(ID)"

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-checkov.txt
	touch $@

## test-tools: the Python virtualenvs: moto[server], cargo-lambda and cfn-lint (.venv), checkov (.venv-checkov)
test-tools: $(VENV)/.installed $(CHECKOV_VENV)/.installed

## test: formatting, clippy, every test (unit, conformance on moto, end to end, Lambda), template lint
test: test-tools
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace
	$(MAKE) console-test
	$(MAKE) readme-test
	tests/schemathesis.sh
	cfn-lint infra/template.yaml
	$(CHECKOV_VENV)/bin/checkov -f infra/template.yaml --config-file infra/checkov.yaml
	shellcheck -x infra/deploy.sh infra/destroy.sh infra/common.sh infra/deploy-test.sh
	infra/deploy.sh --help > /dev/null
	infra/deploy-test.sh
	infra/deploy.sh --dry-run --no-build --stack ci --region eu-west-1 --s3-bucket ci-bucket --param LogRetentionDays=7 > /dev/null
	infra/destroy.sh --dry-run --stack ci --region eu-west-1 > /dev/null
	@echo "make test: all checks passed"

lint:
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

## bench: criterion benches and the load run (see README: performance)
bench: test-tools
	cargo bench -p switchboard-core --bench ingest -- --noplot
	cargo bench -p switchboard-core --bench routing -- --noplot
	cargo bench -p switchboard-core --bench sender -- --noplot
	cargo build --profile serve -p switchboard-cli
	cargo build --release -p switchboard-tests
	cargo run --release -q -p switchboard-tests --bin pipeline
	cargo run --release -q -p switchboard-tests --bin loadgen
	cargo run --release -q -p switchboard-tests --bin routeload
	cargo run --release -q -p switchboard-tests --bin replyload
	cargo run --release -q -p switchboard-tests --bin store-calls
	cargo run --release -q -p switchboard-tests --bin lambda-cpu
	cargo run --release -q -p switchboard-tests --bin sockload
	$(MAKE) console-first-load

## console-first-load: the console's gzipped JavaScript and time to interactive in headless Chromium (loopback)
console-first-load: console
	@test -x $(CHROMIUM) || { $(APT_GET) update && $(APT_GET) install -y chromium; }
	cargo build -q -p switchboard-cli
	cd console && CHROMIUM_PATH=$(CHROMIUM) npx playwright test budget.spec.ts && cat test-results/first-load.json

.PHONY: fuzz
## fuzz: cargo-fuzz the delivery parser, config file, rule conditions and agent API bodies (FUZZ_SECONDS=60 per target; not part of make test)
fuzz:
	fuzz/run.sh

## build: release bootstraps for Lambda (arm64) in target/lambda/<function>/bootstrap
build: test-tools
	rustup target add aarch64-unknown-linux-gnu
	cargo lambda build --release --arm64 -p webhook-verify -p webhook-ingest -p router -p admin-api -p scheduler -p sender -p agent-api -p ws-authorizer -p ws-connections
	@ls -l target/lambda/*/bootstrap

STACK ?= switchboard
REGION ?= $(AWS_REGION)
DEPLOY_ARGS ?=
DESTROY_ARGS ?=

## deploy: build for arm64 and deploy the stack (STACK=, REGION=, DEPLOY_ARGS="--param K=V --s3-bucket B")
deploy: test-tools
	infra/deploy.sh --stack $(STACK) $(if $(REGION),--region $(REGION)) $(DEPLOY_ARGS)

## destroy: delete the stack, keeping the table and secrets (DESTROY_ARGS=--delete-data to remove them)
destroy:
	infra/destroy.sh --stack $(STACK) $(if $(REGION),--region $(REGION)) $(DESTROY_ARGS)

## reset: remove the local data (store, queues, secrets in $(DATA_DIR)) but keep the build; the next make run starts from the example again
reset:
	rm -rf $(DATA_DIR)

## install: put the switchboard command on your PATH (~/.cargo/bin)
install:
	cargo install --path cli --locked --profile serve

## clean: remove the build, the tools, the console build and the local data (make reset removes only the data)
clean:
	cargo clean
	rm -rf $(VENV) $(DATA_DIR) console/node_modules console/dist console/src/generated console/test-results
