# The two commands README.md opens with, and a few more for development.
.PHONY: demo test bootstrap sanity units lint typecheck benchmarks benchmarks-quick soak iam-policy clean

demo:
	./scripts/demo.sh

test:
	./scripts/test.sh

bootstrap:
	./scripts/bootstrap.sh

units: bootstrap
	./scripts/ansible_test.sh units

sanity: bootstrap
	./scripts/ansible_test.sh sanity

lint: bootstrap
	ANSIBLE_COLLECTIONS_PATH="$$(cat .venv/.collections-path)" .venv/bin/ansible-lint --offline

# mypy over plugins/module_utils and plugins/plugin_utils (mypy.ini), imported by their collection names from the
# collections path the bootstrap links this tree onto. make test runs it too (scripts/test.sh).
typecheck: bootstrap
	MYPYPATH="$$(cat .venv/.collections-path)" .venv/bin/mypy --config-file mypy.ini --cache-dir .venv/.mypy_cache \
		-p ansible_collections.aliasguard.cloudfront.plugins.module_utils \
		-p ansible_collections.aliasguard.cloudfront.plugins.plugin_utils

# The full benchmark (about 35 minutes); QUICK=1 (or make benchmarks-quick): the quick mode, under five
# minutes, that prints the ratios (benchmarks/README.md).
benchmarks: bootstrap
	./benchmarks/run.sh $(if $(QUICK),--quick)

benchmarks-quick: bootstrap
	./benchmarks/run.sh --quick

# 200 remediations in a row against one sandbox with 10% throttling; outside CI (about an hour).
soak: bootstrap
	.venv/bin/python benchmarks/soak.py

# docs/iam/*: the least-privilege IAM policies, from what the remediation and the audit call (a few minutes).
iam-policy: bootstrap
	.venv/bin/python scripts/iam_policy.py

clean:
	rm -rf .venv tests/output
