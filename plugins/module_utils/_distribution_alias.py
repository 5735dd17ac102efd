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
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError, call
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    config_aliases,
    get_config,
    list_conflicting_aliases,
    with_aliases,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import (
    Alias,
    certificate_covers,
    is_masked,
)

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
    def __init__(self, distribution_id, state, before, after, moves, domain_name, config):
        self.distribution_id = distribution_id
        self.state = state
        self.before = before
        self.after = after
        self.moves = moves          # [(alias, holder description)] for state=moved
        self.domain_name = domain_name
        self.config = config

    @property
    def changed(self):
        return set(self.before) != set(self.after)

    @property
    def added(self):
        return [a for a in self.after if a not in self.before]

    @property
    def removed(self):
        return [a for a in self.before if a not in self.after]


def plan_aliases(cloudfront, acm, distribution_id, aliases, state, quota=DEFAULT_ALIAS_QUOTA,
                 check_certificate=True):
    """Read the distribution and plan the alias change; refuse clearly what AWS would refuse."""
    # One GetDistribution carries the configuration and the domain name the plan needs.
    distribution = call("GetDistribution %s" % distribution_id, cloudfront.get_distribution,
                        Id=distribution_id)["Distribution"]
    config, domain_name = distribution["DistributionConfig"], distribution["DomainName"]
    before = config_aliases(config)
    if state == "absent":
        after = [a for a in before if a not in aliases]
    else:
        after = before + [a for a in aliases if a not in before]
    plan = AliasPlan(distribution_id, state, before, after, [], domain_name, config)
    if not plan.changed:
        return plan
    if len(after) > quota:
        raise AliasError("%s would hold %d aliases, more than the quota of %d per distribution; request a quota "
                         "increase (Service Quotas, CloudFront) or use fewer aliases"
                         % (distribution_id, len(after), quota))
    if plan.added and check_certificate:
        _check_certificate(acm, distribution_id, config, plan.added)
    if state == "moved":
        for alias in plan.added:
            plan.moves.append((alias, _holder_of(cloudfront, distribution_id, alias)))
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


def _holder_of(cloudfront, distribution_id, alias):
    """Who holds exactly this alias now (ids may be partly hidden), or None."""
    try:
        entries = list_conflicting_aliases(cloudfront, distribution_id, alias)
    except AwsError:
        return None
    for entry in entries:
        if Alias.parse(entry.get("Alias", "")) == alias and entry.get("DistributionId") != distribution_id:
            return {"distribution_id": entry.get("DistributionId"), "account_id": entry.get("AccountId"),
                    "masked": is_masked(entry.get("DistributionId", ""))}
    return None


def apply_update(cloudfront, plan, aliases, state, max_retries=5, sleep=time.sleep):
    """UpdateDistribution with If-Match; on PreconditionFailed read again and re-apply only our change."""
    attempt = 0
    while True:
        config, etag = get_config(cloudfront, plan.distribution_id)
        live = config_aliases(config)
        if state == "absent":
            wanted = [a for a in live if a not in aliases]
        else:
            wanted = live + [a for a in aliases if a not in live]
        if set(wanted) == set(live):
            return live, attempt
        try:
            call("UpdateDistribution %s" % plan.distribution_id, cloudfront.update_distribution,
                 Id=plan.distribution_id, IfMatch=etag, DistributionConfig=with_aliases(config, wanted))
            return wanted, attempt
        except AwsError as exc:
            if exc.code == "PreconditionFailed" and attempt < max_retries:
                attempt += 1
                sleep(min(0.5 * attempt, 5))
                continue
            raise _explain(exc, cloudfront, plan, aliases)


def apply_plan(cloudfront, plan, aliases, max_retries=5, txt_wait_timeout=0, sleep=time.sleep, clock=time.time):
    """Make the planned change; an AliasOutcome, or AliasError (with ``outcome`` when part of it was made)."""
    if plan.state == "moved":
        moved = apply_moves(cloudfront, plan, txt_wait_timeout, sleep=sleep, clock=clock)
        return AliasOutcome(plan.before, plan.before + [a for a, unused in plan.moves], moved)
    final, retries = apply_update(cloudfront, plan, aliases, plan.state, max_retries, sleep=sleep)
    return AliasOutcome(plan.before, final, precondition_retries=retries)


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


def _txt_record(alias, value):
    # The zone is not known here: for a possible apex alias name the other form too.
    return "%s = %s%s" % (alias.txt_challenge_name(), value, alias.txt_challenge_note())


def _explain(exc, cloudfront, plan, aliases, holder=None, moved=None, txt_attempts=1, txt_wait_timeout=0):
    """AWS's refusal, reworded with the holder (when known) and the next step."""
    names = ", ".join(a.name for a in aliases)
    done = ""
    if moved:
        done = " (already moved before this failure: %s)" % ", ".join(m["alias"] for m in moved)
    if exc.code == "CNAMEAlreadyExists":
        found = holder or (_holder_of(cloudfront, plan.distribution_id, aliases[0]) if aliases else None)
        if "DNS record" in str(exc):
            # The seed's form: name the holder too, so the user knows the move that follows the repoint.
            if found is None:
                held = "no other distribution is known to hold it, so add it again once DNS is repointed"
            elif found.get("masked"):
                held = ("it is also held by distribution %s in another AWS account (%s), whose owner must remove "
                        "it or disable that distribution first" % (found["distribution_id"], found["account_id"]))
            else:
                held = ("it is also held by distribution %s (account %s): move it here with state=moved "
                        "(AssociateAlias, TXT record %s)"
                        % (found["distribution_id"], found["account_id"], _txt_record(aliases[0], plan.domain_name)))
            return AliasError(
                "CloudFront refused %s on %s because DNS for it is a CNAME to another distribution "
                "(CNAMEAlreadyExists). Repoint the DNS record to %s first (dns_cname_repoint); %s%s"
                % (names, plan.distribution_id, plan.domain_name, held, done))
        who = ("distribution %s (account %s)" % (found["distribution_id"], found["account_id"])
               if found else "another distribution")
        return AliasError("%s is already held by %s (CNAMEAlreadyExists). Move it with state=moved (AssociateAlias, "
                          "which needs the TXT record %s), or remove it from the holder first%s"
                          % (names, who, _txt_record(aliases[0], plan.domain_name) if aliases
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
        return AliasError("AssociateAlias needs the DNS TXT record %s with the value %s%s before it moves %s; create "
                          "it with dns_cname_repoint (challenge: true) and run again%s.%s AWS said: %s"
                          % (alias.txt_challenge_name(), plan.domain_name, alias.txt_challenge_note(), names, done,
                             waited, exc))
    if exc.code == "InvalidViewerCertificate":
        return AliasError("CloudFront refused %s: the distribution's certificate does not cover it "
                          "(InvalidViewerCertificate). Add the name to the certificate first%s. AWS said: %s"
                          % (names, done, exc))
    if exc.code == "TooManyDistributionCNAMEs":
        return AliasError("%s would exceed the distribution's alias quota (TooManyDistributionCNAMEs); request a "
                          "quota increase%s" % (names, done))
    if exc.code == "PreconditionFailed":
        return AliasError("%s kept changing while this module tried to update it (PreconditionFailed after several "
                          "fresh reads); someone else is editing it - try again later%s" % (plan.distribution_id, done))
    return AliasError("%s%s" % (exc, done))


def wait_deployed(cloudfront, distribution_id, timeout, sleep=time.sleep, clock=time.time):
    deadline = clock() + timeout
    delay = 1.0
    while True:
        status = call("GetDistribution %s" % distribution_id, cloudfront.get_distribution,
                      Id=distribution_id)["Distribution"]["Status"]
        if status == "Deployed":
            return True
        if clock() + delay > deadline:
            return False
        sleep(delay)
        delay = min(delay * 2, 20)
