#!/usr/bin/env bash
# The seed's 409, reproduced in the sandbox and remediated end to end:
#   1. the sandbox builds the seed's situation (A holds www.example.com, DNS points at A);
#   2. Terraform's UpdateDistribution on B fails with CNAMEAlreadyExists (409);
#   3. the remediation playbook finds the holder, moves the alias, repoints DNS, proves it;
#   4. the same UpdateDistribution succeeds, and nslookup shows B's name.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
ALIASGUARD_NO_BROWSER=1 "$root/scripts/bootstrap.sh" >/dev/null
venv="$root/.venv"
py="$venv/bin/python"
state="$(mktemp -d "${TMPDIR:-/tmp}/aliasguard-demo.XXXXXX")"
cleanup() { "$py" -m sandbox down --state-dir "$state" >/dev/null 2>&1 || true; rm -rf "$state"; }
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Starting the sandbox (AWS, Cloudflare, DNS, BIND) in $state"
"$py" -m sandbox up --state-dir "$state"

say "Building the seed's situation"
"$py" -m sandbox scenario seed-409 --state-dir "$state" > "$state/scenario.json"
"$py" - "$state/scenario.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("distribution A %s (%s) holds %s" % (s["holder"]["distribution_id"], s["holder"]["domain_name"], s["alias"]))
print("DNS: %s CNAME %s (Route 53 zone %s)" % (s["alias"], s["dns"]["value"], s["dns"]["zone"]))
print("distribution B %s (%s) is the new one" % (s["target_distribution_id"], s["target_domain_name"]))
PY

say "Terraform adds the alias to B: the seed's error"
"$py" scripts/demo_steps.py terraform-apply "$state" "$state/scenario.json" || true

endpoints="$state/endpoints.json"
field() { "$py" -c "import json,sys; d=json.load(open('$1'))
for k in sys.argv[1].split('.'): d=d[k]
print(d)" "$2"; }
target="$(field "$state/scenario.json" target_distribution_id)"
dns_port="$(field "$endpoints" dns.port)"
export AWS_ACCESS_KEY_ID="$(field "$endpoints" aws.accounts.111111111111.access_key_id)"
export AWS_SECRET_ACCESS_KEY="$(field "$endpoints" aws.accounts.111111111111.secret_access_key)"
export AWS_ENDPOINT_URL="$(field "$endpoints" aws.endpoint_url)"
export AWS_REGION=us-east-1
export ANSIBLE_COLLECTIONS_PATH="$(cat "$venv/.collections-path")"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false

say "First, the plan: ansible-playbook aliasguard.cloudfront.remediate --check"
"$venv/bin/ansible-playbook" aliasguard.cloudfront.remediate --check \
  -e alias=www.example.com -e target_distribution_id="$target" \
  -e dns_provider=route53 -e dns_zone=example.com \
  -e "{\"verify_nameservers\": [\"127.0.0.1:$dns_port\"]}" | sed -n '/TASK .*Summary/,/^}/p'

say "Then the fix: ansible-playbook aliasguard.cloudfront.remediate"
"$venv/bin/ansible-playbook" aliasguard.cloudfront.remediate \
  -e alias=www.example.com -e target_distribution_id="$target" \
  -e dns_provider=route53 -e dns_zone=example.com \
  -e "{\"verify_nameservers\": [\"127.0.0.1:$dns_port\"]}"

say "Terraform's update again: no 409"
"$py" scripts/demo_steps.py terraform-apply "$state" "$state/scenario.json"

say "The seed's step 4"
"$py" scripts/demo_steps.py nslookup "$state" www.example.com

say "Stopping the sandbox"
