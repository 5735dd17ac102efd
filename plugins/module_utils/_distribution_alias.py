# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Step 3: add, remove or move aliases on one distribution, touching nothing else.

``UpdateDistribution`` replaces the whole configuration, so every update reads
the configuration and its ETag, changes only ``Aliases`` and sends it back with
``If-Match``. When someone else changed the distribution in between, AWS answers
``PreconditionFailed``; the update is then read and applied again (bounded), so a
concurrent edit is never overwritten. Moves use ``AssociateAlias``; a TXT record
created moments before may not be visible to CloudFront yet (Route 53 still
PENDING, a negative answer cached), so its refusal for the TXT record is asked
again with backoff for a bounded time.

What was changed is an ``AliasOutcome`` value, made as soon as AWS accepted the
change, so that a later failure (waiting for the deployment) still reports it.

A handover (``apply_handover``) takes aliases off other distributions of this
account and adds them here with no longer a gap than CloudFront forces: it keeps a
removed alias taken until the distribution that gave it up is ``Deployed``, and its
DNS check answers from a cache for the old record's TTL. So it waits for exactly
that, adds at once, asks again while ``CNAMEAlreadyExists`` is only those catching
up, and when it cannot finish it gives the aliases back: a name that was served is
never left held by nobody.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError, call
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    DistributionIndex,
    account_of_arn,
    config_aliases,
    get_config,
    list_conflicting_aliases,
    with_aliases,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import (
    Alias,
    certificate_covers,
    is_masked,
    mask_matches,
)

# CloudFront's default quota of aliases per distribution; an account can have it raised, so it is only ever
# checked here when the user gives the account's quota (otherwise CloudFront answers TooManyDistributionCNAMEs).
DEFAULT_ALIAS_QUOTA = 100


class AliasError(Exception):
    """Refused before or by AWS; the message says what to do.

    ``done`` lists the moves that had already succeeded when a later one failed;
    ``outcome`` (an AliasOutcome) is what the distribution holds after them.
    """

    def __init__(self, message, done=None, outcome=None):
        super(AliasError, self).__init__(message)
        self.done = done or []
        self.outcome = outcome


class AliasOutcome:
    """What the distribution holds after the module's change (or the part of it that was made)."""

    def __init__(self, before, final, moved=(), precondition_retries=0):
        self.before = list(before)
        self.final = list(final)
        self.moved = list(moved)
        self.precondition_retries = precondition_retries

    @classmethod
    def unchanged(cls, plan):
        return cls(plan.before, plan.before)

    @property
    def changed(self):
        return set(self.before) != set(self.final)

    @property
    def added(self):
        return [a for a in self.final if a not in self.before]

    @property
    def removed(self):
        return [a for a in self.before if a not in self.final]

    def describe(self):
        parts = []
        if self.moved:
            parts.append("moved here: %s" % ", ".join(m["alias"] for m in self.moved))
        elif self.added:
            parts.append("added: %s" % ", ".join(a.name for a in self.added))
        if self.removed:
            parts.append("removed: %s" % ", ".join(a.name for a in self.removed))
        return "; ".join(parts) or "no change"

    def to_result(self):
        return {"changed": self.changed, "aliases": [a.name for a in self.final],
                "added": [a.name for a in self.added], "removed": [a.name for a in self.removed],
                "moved": list(self.moved), "precondition_retries": self.precondition_retries}


class AliasPlan:
    def __init__(self, distribution_id, state, before, after, moves, domain_name, config, account_id=None,
                 txt_names=None):
        self.distribution_id = distribution_id
        self.state = state
        self.before = before
        self.after = after
        self.moves = moves          # [(alias, holder description)] for state=moved
        self.domain_name = domain_name
        self.config = config
        self.account_id = account_id  # the caller's account, from the distribution's ARN
        self.txt_names = txt_names or {}  # {alias name: TXT record name} where the user overrides the derived one
        self._index = None

    def own_distribution(self, cloudfront, masked_id, alias):
        """This account's distribution that a partly hidden id can be (holding ``alias``), or None."""
        if self._index is None:
            self._index = DistributionIndex.load(cloudfront)
        return self._index.by_masked_id(masked_id, alias)

    def txt_record(self, alias, value):
        """'NAME = VALUE' of the TXT record AssociateAlias checks for the alias, for messages."""
        if alias.name in self.txt_names:
            return "%s = %s" % (self.txt_names[alias.name], value)
        return "%s = %s%s" % (alias.txt_challenge_name(), value, alias.txt_challenge_note())

    @property
    def changed(self):
        return set(self.before) != set(self.after)

    @property
    def added(self):
        return [a for a in self.after if a not in self.before]

    @property
    def removed(self):
        return [a for a in self.before if a not in self.after]


def plan_aliases(cloudfront, acm, distribution_id, aliases, state, quota=None, check_certificate=True,
                 txt_names=None):
    """Read the distribution and plan the alias change; refuse clearly what AWS would refuse.

    ``quota`` is the account's quota of aliases per distribution when the user knows it; without it CloudFront
    itself answers (an account whose quota was raised must not be held to the default 100).
    """
    # One GetDistribution carries the configuration and the domain name the plan needs.
    distribution = call("GetDistribution %s" % distribution_id, cloudfront.get_distribution,
                        Id=distribution_id)["Distribution"]
    config, domain_name = distribution["DistributionConfig"], distribution["DomainName"]
    before = config_aliases(config)
    if state == "absent":
        after = [a for a in before if a not in aliases]
    else:
        after = before + [a for a in aliases if a not in before]
    plan = AliasPlan(distribution_id, state, before, after, [], domain_name, config,
                     account_id=account_of_arn(distribution.get("ARN", "")), txt_names=txt_names)
    if not plan.changed:
        return plan
    if quota is not None and len(after) > quota:
        raise AliasError("%s would hold %d aliases, more than the quota of %d per distribution you gave "
                         "(alias_quota); request a quota increase (Service Quotas, CloudFront: alternate domain names "
                         "per distribution) or use fewer aliases" % (distribution_id, len(after), quota))
    if plan.added and check_certificate:
        _check_certificate(acm, distribution_id, config, plan.added)
    if state == "moved":
        for alias in plan.added:
            plan.moves.append((alias, _holder_of(cloudfront, plan, alias)))
    return plan


def _check_certificate(acm, distribution_id, config, added):
    viewer = config.get("ViewerCertificate") or {}
    if not (viewer.get("ACMCertificateArn") or viewer.get("IAMCertificateId")):
        raise AliasError("%s uses CloudFront's default *.cloudfront.net certificate, which covers none of %s. "
                         "Attach an ACM certificate (us-east-1) that covers them first"
                         % (distribution_id, ", ".join(a.name for a in added)))
    arn = viewer.get("ACMCertificateArn")
    if not arn or acm is None:
        return  # an IAM certificate: its names cannot be read here, AWS will check them
    try:
        certificate = call("DescribeCertificate %s" % arn, acm.describe_certificate, CertificateArn=arn)["Certificate"]
    except AwsError as exc:
        if exc.code in ("AccessDeniedException", "AccessDenied"):
            return  # not readable with these credentials: leave the check to CloudFront
        raise
    names = [certificate.get("DomainName", "")] + list(certificate.get("SubjectAlternativeNames") or [])
    uncovered = [a.name for a in added if not certificate_covers(names, a)]
    if uncovered:
        covered = ", ".join(sorted(set(names)))
        raise AliasError("the certificate of %s (%s) covers %s but not %s. Add the name(s) to the certificate, or "
                         "attach one that covers them, before adding the alias (a certificate's *.example.com "
                         "covers exactly one label)" % (distribution_id, arn, covered, ", ".join(uncovered)))


def _holder_of(cloudfront, plan, alias):
    """Who holds exactly this alias now, or None.

    AWS hides part of every holder's ids, this account's too ('*******5PBZ4YV', '******111111'); a holder whose
    visible account digits are this account's is this account's, and its id is read from this account's
    distributions (by the visible end) so that the user sees the real one.
    """
    try:
        entries = list_conflicting_aliases(cloudfront, plan.distribution_id, alias)
    except AwsError:
        return None
    for entry in entries:
        dist_id, account_id = entry.get("DistributionId", ""), entry.get("AccountId", "")
        if Alias.parse(entry.get("Alias", "")) != alias or mask_matches(dist_id, plan.distribution_id):
            continue
        in_account = bool(plan.account_id) and mask_matches(account_id, plan.account_id)
        if in_account and is_masked(dist_id):
            try:
                own = plan.own_distribution(cloudfront, dist_id, alias)
            except AwsError:
                own = None
            dist_id = own.id if own is not None else dist_id
        return {"distribution_id": dist_id, "account_id": plan.account_id if in_account else account_id,
                "masked": is_masked(dist_id), "in_account": in_account}
    return None


def apply_update(cloudfront, plan, aliases, state, max_retries=5, sleep=time.sleep):
    """UpdateDistribution with If-Match; on PreconditionFailed read again and re-apply only our change."""
    try:
        return update_aliases(cloudfront, plan.distribution_id, aliases, state, max_retries, sleep)
    except AwsError as exc:
        raise _explain(exc, cloudfront, plan, aliases)


def update_aliases(cloudfront, distribution_id, aliases, state, max_retries=5, sleep=time.sleep):
    """Add (present) or remove (absent) only these aliases; (aliases now, PreconditionFailed retries). AwsError."""
    attempt = 0
    while True:
        config, etag = get_config(cloudfront, distribution_id)
        live = config_aliases(config)
        if state == "absent":
            wanted = [a for a in live if a not in aliases]
        else:
            wanted = live + [a for a in aliases if a not in live]
        if set(wanted) == set(live):
            return live, attempt
        try:
            call("UpdateDistribution %s" % distribution_id, cloudfront.update_distribution,
                 Id=distribution_id, IfMatch=etag, DistributionConfig=with_aliases(config, wanted))
            return wanted, attempt
        except AwsError as exc:
            if exc.code == "PreconditionFailed" and attempt < max_retries:
                attempt += 1
                sleep(min(0.5 * attempt, 5))
                continue
            raise


def apply_plan(cloudfront, plan, aliases, max_retries=5, txt_wait_timeout=0, sleep=time.sleep, clock=time.time):
    """Make the planned change; an AliasOutcome, or AliasError (with ``outcome`` when part of it was made)."""
    if plan.state == "moved":
        moved = apply_moves(cloudfront, plan, txt_wait_timeout, sleep=sleep, clock=clock)
        return AliasOutcome(plan.before, plan.before + [a for a, unused in plan.moves], moved)
    final, retries = apply_update(cloudfront, plan, aliases, plan.state, max_retries, sleep=sleep)
    return AliasOutcome(plan.before, final, precondition_retries=retries)


class Handover:
    """What a handover did: the aliases taken off each holder, and those given back after a failure."""

    def __init__(self):
        self.released = []     # [(holder id, [Alias])]
        self.given_back = []   # [(holder id, [Alias])]
        self.not_given_back = []  # [(holder id, [Alias], error text)]
        self.conflict_retries = 0
        self.waited = 0.0      # seconds between the last release and the aliases landing here

    def to_result(self):
        return {
            "released_from": [{"distribution_id": d, "aliases": [a.name for a in held]} for d, held in self.released],
            "given_back": [{"distribution_id": d, "aliases": [a.name for a in held]} for d, held in self.given_back],
            "conflict_retries": self.conflict_retries,
        }


def plan_release(cloudfront, holders, aliases):
    """[(holder id, [aliases it holds of ``aliases``])] for the holders that hold any; read-only."""
    planned = []
    for holder_id in holders:
        config, unused = get_config(cloudfront, holder_id)
        held = [a for a in aliases if a in config_aliases(config)]
        if held:
            planned.append((holder_id, held))
    return planned


def apply_handover(cloudfront, plan, aliases, holders, conflict_wait=0, timeout=1200, max_retries=5,
                   sleep=time.sleep, clock=time.time, handover=None):
    """Take ``aliases`` off ``holders`` (distributions of this account), then add them to the plan's distribution.

    CloudFront keeps a removed alias taken until the distribution that gave it up is Deployed again, and its DNS
    check answers from a cache for the old record's TTL. So: remove, wait until every holder that gave something
    up is Deployed, add at once, and while CloudFront answers CNAMEAlreadyExists ask again for at most
    ``conflict_wait`` seconds more (the old record's TTL), never past ``timeout`` seconds from the start. If the
    aliases cannot be added, each holder takes back what it gave up (the distribution that gave an alias up may
    take it back at once) and AliasError says so; ``handover`` (a Handover) records every step either way.
    """
    handover = handover if handover is not None else Handover()
    deadline = clock() + timeout
    try:
        for holder_id in holders:
            if holder_id == plan.distribution_id:
                continue
            config, unused = get_config(cloudfront, holder_id)
            held = [a for a in aliases if a in config_aliases(config)]
            if held:
                update_aliases(cloudfront, holder_id, held, "absent", max_retries, sleep)
                handover.released.append((holder_id, held))
        released_at = clock()
        for holder_id, unused in handover.released:
            if not wait_deployed(cloudfront, holder_id, max(0.0, deadline - clock()), sleep=sleep, clock=clock):
                raise AliasError("%s was not Deployed within %d seconds (wait_timeout), and CloudFront keeps the "
                                 "aliases it gave up taken until then" % (holder_id, timeout))
        retry_until = min(deadline, clock() + conflict_wait)
        delay = 0.5
        while True:
            try:
                final, retries = update_aliases(cloudfront, plan.distribution_id, aliases, "present", max_retries,
                                                sleep)
                handover.waited = clock() - released_at
                return AliasOutcome(plan.before, final, precondition_retries=retries)
            except AwsError as exc:
                # The release or the DNS check's cache catching up; any other refusal will not go away.
                if exc.code != "CNAMEAlreadyExists" or clock() + delay > retry_until:
                    error = _explain(exc, cloudfront, plan, aliases)
                    if exc.code == "CNAMEAlreadyExists" and handover.conflict_retries:
                        error = AliasError("%s (CloudFront still answered so after %d more attempts over %d seconds: "
                                           "conflict_wait_timeout)" % (error, handover.conflict_retries,
                                                                       conflict_wait))
                    raise error
                handover.conflict_retries += 1
                sleep(delay)
                delay = min(delay * 1.5, 10.0)
    except (AliasError, AwsError) as exc:
        _give_back(cloudfront, handover, max_retries, sleep)
        raise AliasError(_handover_failure(plan, aliases, handover, exc), outcome=AliasOutcome.unchanged(plan))


def _give_back(cloudfront, handover, max_retries, sleep):
    for holder_id, held in handover.released:
        try:
            update_aliases(cloudfront, holder_id, held, "present", max_retries, sleep)
            handover.given_back.append((holder_id, held))
        except AwsError as exc:
            handover.not_given_back.append((holder_id, held, str(exc)))


def _handover_failure(plan, aliases, handover, exc):
    names = ", ".join(a.name for a in aliases)
    text = "Could not add %s to %s: %s" % (names, plan.distribution_id, exc)
    if handover.given_back:
        text += (". Put back where they were, so they are served as before: %s"
                 % "; ".join("%s on %s" % (", ".join(a.name for a in held), holder)
                             for holder, held in handover.given_back))
    if handover.not_given_back:
        # Typically CloudFront's DNS check: DNS points at this distribution now, so the holder may not have the
        # name back until DNS points at it again (and the check's cache has seen that).
        text += (". NOT PUT BACK YET - nobody holds these names now: put DNS back as it was, then add them to their "
                 "distribution again (the cname_remediation role does both): %s"
                 % "; ".join("%s on %s (%s)" % (", ".join(a.name for a in held), holder, error)
                             for holder, held, error in handover.not_given_back))
    if not handover.released:
        text += ". Nothing was taken off any distribution"
    return text


def is_missing_txt(exc):
    """AssociateAlias's refusal because it does not see the TXT record (yet)."""
    return exc.code == "InvalidArgument" and "TXT" in str(exc)


def apply_moves(cloudfront, plan, txt_wait_timeout=0, sleep=time.sleep, clock=time.time):
    """AssociateAlias for each planned move. A refusal for the TXT record is asked again
    with backoff until ``txt_wait_timeout`` seconds after the first attempt."""
    moved = []
    deadline = clock() + txt_wait_timeout
    for alias, holder in plan.moves:
        delay = 1.0
        attempts = 0
        while True:
            attempts += 1
            try:
                call("AssociateAlias %s to %s" % (alias.name, plan.distribution_id), cloudfront.associate_alias,
                     TargetDistributionId=plan.distribution_id, Alias=alias.name)
                break
            except AwsError as exc:
                if is_missing_txt(exc) and clock() + delay <= deadline:
                    sleep(delay)
                    delay = min(delay * 2, 15.0)
                    continue
                error = _explain(exc, cloudfront, plan, [alias], holder=holder, moved=moved,
                                 txt_attempts=attempts, txt_wait_timeout=txt_wait_timeout)
                error.done = moved
                error.outcome = AliasOutcome(plan.before, plan.before + [Alias.parse(m["alias"]) for m in moved],
                                             moved)
                raise error
        moved.append({"alias": alias.name, "from": holder})
    return moved


def _describe_holder(found):
    if found.get("in_account"):
        return "distribution %s in this account (%s)" % (found["distribution_id"], found["account_id"])
    return "distribution %s in another AWS account (%s)" % (found["distribution_id"], found["account_id"])


def _explain(exc, cloudfront, plan, aliases, holder=None, moved=None, txt_attempts=1, txt_wait_timeout=0):
    """AWS's refusal, reworded with the holder (when known) and the next step."""
    names = ", ".join(a.name for a in aliases)
    done = ""
    if moved:
        done = " (already moved before this failure: %s)" % ", ".join(m["alias"] for m in moved)
    if exc.code == "CNAMEAlreadyExists":
        found = holder or (_holder_of(cloudfront, plan, aliases[0]) if aliases else None)
        if "DNS record" in str(exc):
            # The runbook's form: name the holder too, so the user knows the move that follows the repoint.
            if found is None:
                held = "no other distribution is known to hold it, so add it again once DNS is repointed"
            elif not found.get("in_account"):
                held = ("it is also held by %s, whose owner must remove it or disable that distribution first"
                        % _describe_holder(found))
            else:
                held = ("it is also held by %s: move it here with state=moved (AssociateAlias, TXT record %s)"
                        % (_describe_holder(found), plan.txt_record(aliases[0], plan.domain_name)))
            return AliasError(
                "CloudFront refused %s on %s because DNS for it is a CNAME to another distribution "
                "(CNAMEAlreadyExists). Repoint the DNS record to %s first (dns_cname_repoint); %s%s"
                % (names, plan.distribution_id, plan.domain_name, held, done))
        if found is None:
            who = ("another distribution, or one that gave it up moments ago: CloudFront keeps a removed alias "
                   "taken until that distribution is Deployed again")
        else:
            who = _describe_holder(found)
        return AliasError("%s is already held by %s (CNAMEAlreadyExists). Move it with state=moved (AssociateAlias, "
                          "which needs the TXT record %s), or remove it from the holder first%s"
                          % (names, who, plan.txt_record(aliases[0], plan.domain_name) if aliases
                             else "_<alias> = %s" % plan.domain_name, done))
    if exc.code == "IllegalUpdate":
        who = ("distribution %s in account %s" % (holder["distribution_id"], holder["account_id"])
               if holder else "the distribution that holds it")
        return AliasError("AWS will not move %s from %s (IllegalUpdate): it is enabled and in another AWS account. "
                          "Its owner must disable it, or remove the alias from it; then run again. Nothing was "
                          "changed for %s%s. AWS said: %s" % (names, who, names, done, exc))
    if is_missing_txt(exc):
        alias = aliases[0]
        waited = ""
        if txt_attempts > 1:
            waited = (" CloudFront still did not see it after %d attempts over up to %d seconds (txt_wait_timeout): "
                      "check the record's name and value, and that the zone is the one the public DNS serves."
                      % (txt_attempts, txt_wait_timeout))
        record = plan.txt_record(alias, plan.domain_name)
        name, unused, rest = record.partition(" = ")
        return AliasError("AssociateAlias needs the DNS TXT record %s with the value %s before it moves %s; create "
                          "it with dns_cname_repoint (challenge: true) and run again%s.%s AWS said: %s"
                          % (name, rest, names, done, waited, exc))
    if exc.code == "InvalidViewerCertificate":
        return AliasError("CloudFront refused %s: the distribution's certificate does not cover it "
                          "(InvalidViewerCertificate). Add the name to the certificate first%s. AWS said: %s"
                          % (names, done, exc))
    if exc.code == "TooManyDistributionCNAMEs":
        return AliasError("%s would exceed the distribution's alias quota (TooManyDistributionCNAMEs): CloudFront "
                          "allows %d alternate domain names per distribution unless the account's quota was raised; "
                          "request an increase (Service Quotas, CloudFront) or use fewer aliases%s"
                          % (names, DEFAULT_ALIAS_QUOTA, done))
    if exc.code == "PreconditionFailed":
        return AliasError("%s kept changing while this module tried to update it (PreconditionFailed after several "
                          "fresh reads); someone else is editing it - try again later%s" % (plan.distribution_id, done))
    return AliasError("%s%s" % (exc, done))


def wait_deployed(cloudfront, distribution_id, timeout, sleep=time.sleep, clock=time.time):
    """True once the distribution is Deployed, False at the deadline. Polled often at first (a change in a small
    distribution deploys in seconds to minutes), then every 15 seconds at most."""
    deadline = clock() + timeout
    delay = 0.25
    while True:
        status = call("GetDistribution %s" % distribution_id, cloudfront.get_distribution,
                      Id=distribution_id)["Distribution"]["Status"]
        if status == "Deployed":
            return True
        if clock() >= deadline:
            return False
        sleep(min(delay, max(0.0, deadline - clock())))
        delay = min(delay * 1.5, 15.0)
