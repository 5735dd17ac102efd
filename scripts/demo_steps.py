"""The demo's own checks, with plain boto3 and dnspython (what an operator would run by hand).

    python scripts/demo_steps.py terraform-apply STATE_DIR SCENARIO_JSON   # add the alias as Terraform would
    python scripts/demo_steps.py nslookup STATE_DIR NAME                   # the seed's step 4
"""

import json
import sys

import botocore.exceptions
import dns.message
import dns.query

sys.path.insert(0, __file__.rsplit("/scripts/", 1)[0])
from sandbox.cli import load_endpoints  # noqa: E402  (the project root is not on sys.path otherwise)
from sandbox.scenarios import Clients  # noqa: E402


def terraform_apply(state_dir, scenario_file):
    with open(scenario_file, encoding="utf-8") as fh:
        scenario = json.load(fh)
    cloudfront = Clients(load_endpoints(state_dir)).aws("cloudfront")
    dist_id, alias = scenario["target_distribution_id"], scenario["alias"]
    response = cloudfront.get_distribution_config(Id=dist_id)
    config = response["DistributionConfig"]
    items = sorted(set((config.get("Aliases") or {}).get("Items") or []) | {alias})
    config["Aliases"] = {"Quantity": len(items), "Items": items}
    print("UpdateDistribution %s with Aliases=%s ..." % (dist_id, items))
    try:
        cloudfront.update_distribution(Id=dist_id, IfMatch=response["ETag"], DistributionConfig=config)
    except botocore.exceptions.ClientError as exc:
        error = exc.response["Error"]
        print("  HTTP %s %s: %s" % (exc.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]))
        return 1
    print("  200 OK: %s now holds %s" % (dist_id, alias))
    return 0


def nslookup(state_dir, name):
    endpoints = load_endpoints(state_dir)
    host, port = endpoints["dns"]["host"], endpoints["dns"]["port"]
    response = dns.query.udp(dns.message.make_query(name, "A"), host, port=port, timeout=3)
    print("nslookup %s (asked of the sandbox's authoritative server %s:%d):" % (name, host, port))
    for rrset in response.answer:
        for line in rrset.to_text().splitlines():
            print("  " + line)
    return 0


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    sys.exit({"terraform-apply": terraform_apply, "nslookup": nslookup}[command](*args))
