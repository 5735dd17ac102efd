"""What every part of a running sandbox shares: accounts, the log, faults, the stores."""

import secrets
import string
import threading

ACCOUNT_IDS = ("111111111111", "222222222222")
DEFAULT_TTL_SCALE = 0.01
MAX_ACCOUNTS = 99


def account_ids(count=len(ACCOUNT_IDS)):
    """The ids of the first ``count`` sandbox accounts, stable from run to run.

    Accounts 1-9 are the digit repeated (111111111111, ..., 999999999999: the first two are
    ACCOUNT_IDS), accounts 10 and up are 9000000000NN.
    """
    if not 1 <= count <= MAX_ACCOUNTS:
        raise ValueError("the sandbox has between 1 and %d AWS accounts, not %s" % (MAX_ACCOUNTS, count))
    return tuple(str(n) * 12 if n < 10 else "9%011d" % n for n in range(1, count + 1))


def new_access_key(account_id):
    # A recognisable but unique key id: the account's last digits help a reader of logs.
    alphabet = string.ascii_uppercase + "234567"
    return "AKIA" + account_id[-4:] + "".join(secrets.choice(alphabet) for unused in range(12))


def new_accounts(count=len(ACCOUNT_IDS)):
    return {
        account_id: {
            "access_key_id": new_access_key(account_id),
            "secret_access_key": secrets.token_urlsafe(30),
        }
        for account_id in account_ids(count)
    }


class SandboxContext:
    """Process-wide state of one sandbox (one state dir)."""

    def __init__(self, accounts, log, faults, deploy_seconds=1.0, insync_seconds=1.0, ttl_scale=DEFAULT_TTL_SCALE):
        self.accounts = accounts
        self.log = log
        self.faults = faults
        # How long a distribution stays InProgress and a Route 53 change PENDING.
        self.deploy_seconds = deploy_seconds
        self.insync_seconds = insync_seconds
        # CloudFront's DNS check resolves through a cache that keeps an answer for its TTL x ttl_scale
        # seconds (0: no cache).
        self.ttl_scale = ttl_scale
        self.dns_address = None
        # The sandbox DNS server itself (dnsserver.DnsServer), for checks that read the zone data in-process.
        self.dns_server = None
        self.cloudflare = None
        self.rfc2136_zone = None
        self.rfc2136_upstream = None
        # Serialises mutating AWS requests so that check-then-act rules (ETags,
        # "alias already held") behave atomically, as they do at AWS.
        self.aws_write_lock = threading.RLock()
        self.route53_changes = {}
        # Raised service quotas per account ({account: aliases per distribution}); AWS's default otherwise.
        self.alias_quotas = {}
        self._key_to_account = {v["access_key_id"]: k for k, v in accounts.items()}

    def account_for_key(self, access_key_id):
        return self._key_to_account.get(access_key_id)
