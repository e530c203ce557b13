# Rigger. `make help` lists the targets.
SHELL := /bin/bash
export GOTOOLCHAIN := local
GO ?= go
BIN := bin/rigger
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/rigger-ci/rigger/pkg/version.Version=$(VERSION)
E2E_NODES ?= real
export E2E_NODES

IMAGE ?= rigger.local/rigger:$(VERSION)
IMAGE_ARCHIVE := bin/rigger-image.tar

.PHONY: help build image generate check-generated test test-install e2e-install e2e-disruptive e2e-faults fuzz test-all e2e bench lint cluster-up cluster-down tekton-manifests

help: ## this list
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

build: ## build bin/rigger
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/rigger

image: ## build Rigger's image as an OCI archive (bin/rigger-image.tar, IMAGE names it): no Docker, no registry
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/linux-amd64/rigger ./cmd/rigger
	$(GO) run ./internal/cmd/rigger-image -binary bin/linux-amd64/rigger -version $(VERSION) -ref $(IMAGE) -o $(IMAGE_ARCHIVE)

# controller-gen is a tool of its own module (tools/go.mod), so its k8s.io versions never move
# the ones Rigger and Tekton build with.
CONTROLLER_GEN := $(GO) tool -modfile=tools/go.mod controller-gen
CRD := config/crd/rigger.dev_repositories.yaml

generate: ## regenerate deep copies and the Repository CRD from pkg/apis (controller-gen), copy the CRD into the chart
	$(CONTROLLER_GEN) object paths=./pkg/apis/...
	$(CONTROLLER_GEN) crd paths=./pkg/apis/... output:crd:dir=config/crd
	mkdir -p charts/rigger/crds && cp $(CRD) charts/rigger/crds/

check-generated: generate ## fail if the committed generated files are not what make generate writes
	@git diff --exit-code -- pkg/apis config/crd charts/rigger/crds || { echo "generated files are stale: run make generate and commit"; exit 1; }

test: ## unit tests (no cluster needed)
	$(GO) test -race -count=1 ./cmd/... ./pkg/... ./internal/...
	$(MAKE) test-install

# A module of its own: Helm v4 and kustomize need newer k8s.io modules than Rigger builds with.
test-install: ## the Helm chart and kustomize base: lint, render, decode, load rigger.yaml (internal/installtest)
	$(GO) -C internal/installtest test -count=1 ./...

# What parses input from the network or a pull request, fuzzed for FUZZTIME each: webhook
# decoding, the .tekton loader, the template renderer, comments' commands, CEL, go test -json.
FUZZ_TARGETS := ./pkg/event:FuzzParse ./pkg/definition:FuzzParse ./pkg/template:FuzzMask ./pkg/template:FuzzRender \
	./pkg/chatops:FuzzParse ./pkg/matcher:FuzzCEL ./pkg/testjson:FuzzRead ./pkg/testreport:FuzzAdd
FUZZTIME ?= 10s

fuzz: ## run every fuzz target for FUZZTIME (default 10s); a crash is saved under testdata/fuzz as a regression test
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$pkg $$fn ($(FUZZTIME))"; $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; done

test-all: ## what CI runs: Debian packages if missing, unit tests, a bounded fuzz, the e2e suite and the chart's install on a real cluster, the fault suite on KWOK
	e2e/cluster/scripts/deps.sh
	RIGGER_REQUIRE_CONTAINERS=1 $(MAKE) test
	$(MAKE) fuzz FUZZTIME=5s
	KEEP_CLUSTER=1 $(MAKE) e2e
	KEEP_CLUSTER=1 $(MAKE) e2e-disruptive
	$(MAKE) e2e-install
	$(MAKE) cluster-down
	E2E_NODES=kwok KEEP_CLUSTER=1 RIGGER_E2E_DISRUPTIVE=1 $(MAKE) e2e-faults
	$(MAKE) cluster-down

e2e-disruptive: ## the e2e tests that stop a cluster component (the apiserver for 30 s), alone
	RIGGER_E2E_DISRUPTIVE=1 e2e/cluster/scripts/e2e.sh -run 'TestQueueSurvivesTheApiserverAway' ./e2e/runpolicy/

# On KWOK nodes: a thousand runs cost the control plane's work, no containers. With
# RIGGER_E2E_DISRUPTIVE=1 it also stops the apiserver for 30 s, so nothing else may use the
# cluster meanwhile (test-all gives it a cluster of its own).
e2e-faults: ## the fault suite (e2e/faults) on a KWOK cluster: Rigger killed mid-burst, GitHub failing, deliveries repeated; RIGGER_E2E_DISRUPTIVE=1 adds the apiserver stopped
	E2E_NODES=kwok e2e/cluster/scripts/e2e.sh ./e2e/faults/

e2e: ## bring the e2e cluster up (E2E_NODES=real|kwok), run e2e/, tear it down (KEEP_CLUSTER=1 keeps it)
	e2e/cluster/scripts/e2e.sh

bench: ## benchmarks: packages, then the spine on a KWOK cluster (BENCH_CLUSTER=0 skips that)
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/... ./internal/...
	@if [ "$${BENCH_CLUSTER:-1}" != 0 ]; then E2E_NODES=kwok e2e/cluster/scripts/e2e.sh -run '^$$' -bench . -benchtime 1x ./e2e/bench/; fi

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$out" ] || { echo "not gofmt-ed:"; echo "$$out"; exit 1; }
	$(GO) vet ./...
	$(GO) -C internal/installtest vet ./...
	$(GO) -C e2e/install vet ./...

# e2e/install is a module of its own (Helm v4). It needs the cluster up with real pods.
e2e-install: image ## the chart with bin/rigger-image.tar on the running e2e cluster: runs, replicas, uninstall; the kustomize base dry-run
	. e2e/cluster/scripts/common.sh && ref=$$(import_rigger_image "$(CURDIR)/$(IMAGE_ARCHIVE)") && \
	  KUBECONFIG=$$KUBECONFIG_OUT RIGGER_E2E_IMAGE=$$ref RIGGER_E2E_POD_GATEWAY=$$POD_GW RIGGER_E2E_NODES=$$E2E_NODES \
	  RIGGER_E2E_KUBECTL=$$KUBE_BIN/kubectl \
	  $(GO) -C e2e/install test -count=1 -timeout 15m ./...

cluster-up: ## start the e2e cluster and leave it up (E2E_NODES=real|kwok)
	e2e/cluster/scripts/deps.sh
	e2e/cluster/scripts/up.sh

cluster-down: ## stop the e2e cluster and wipe its state (keeps the build cache)
	e2e/cluster/scripts/down.sh

tekton-manifests: ## copy Tekton's CRDs and config from the pinned module into e2e/cluster/manifests
	e2e/cluster/scripts/tekton-manifests.sh
