"""CloudFront and Route 53 errors that moto lacks, with AWS's codes and messages.

They live outside any module named ``moto*`` and subclass moto's own exception
classes so that moto's serializer renders them with the status code that
botocore's service model gives for the code (409, 412, 400 ...).
"""

from moto.cloudfront.exceptions import CloudFrontException
from moto.route53.exceptions import Route53ClientError


class CNAMEHeldElsewhere(CloudFrontException):
    """Form (a): another distribution, in any account, already holds the alias."""

    def __init__(self):
        super().__init__(
            "CNAMEAlreadyExists",
            "One or more of the CNAMEs you provided are already associated with a different resource.",
        )


class CNAMEDnsPointsElsewhere(CloudFrontException):
    """Form (b): the alias's DNS record is a CNAME to another distribution (the seed's message)."""

    def __init__(self):
        super().__init__(
            "CNAMEAlreadyExists",
            "One or more aliases specified for the distribution includes an incorrectly configured "
            "DNS record that points to another CloudFront distribution. You must update the DNS "
            "record to correct the problem. For more information, see "
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-restrictions",
        )


class PreconditionFailed(CloudFrontException):
    def __init__(self):
        super().__init__(
            "PreconditionFailed",
            "The request failed because it didn't meet the preconditions in one or more request-header fields.",
        )


class IllegalUpdate(CloudFrontException):
    def __init__(self, message):
        super().__init__("IllegalUpdate", message)


class InvalidArgument(CloudFrontException):
    def __init__(self, message):
        super().__init__("InvalidArgument", message)


class InvalidViewerCertificate(CloudFrontException):
    def __init__(self, message):
        super().__init__("InvalidViewerCertificate", message)


class TooManyDistributionCNAMEs(CloudFrontException):
    def __init__(self):
        super().__init__(
            "TooManyDistributionCNAMEs",
            "Your request contains more CNAMEs than are allowed per distribution.",
        )


class DistributionNotDisabled(CloudFrontException):
    def __init__(self):
        super().__init__(
            "DistributionNotDisabled",
            "The distribution you are trying to delete has not been disabled.",
        )


class InvalidChangeBatch(Route53ClientError):
    """All-or-nothing: one error anywhere in a batch rejects the whole batch."""

    def __init__(self, messages):
        self.messages = list(messages)
        super().__init__("InvalidChangeBatch", "; ".join(self.messages))


class NoSuchChange(Route53ClientError):
    def __init__(self, change_id):
        super().__init__("NoSuchChange", "A change with the specified change ID does not exist: %s" % change_id)


# --------------------------------------------------------------------------
# CloudFront SaaS Manager (distribution tenants, connection groups): the codes
# botocore's service model lists for those operations, with its status codes.


class EntityNotFound(CloudFrontException):
    def __init__(self, what):
        super().__init__("EntityNotFound", "The entity was not found: %s" % what)


class EntityAlreadyExists(CloudFrontException):
    def __init__(self, message):
        super().__init__("EntityAlreadyExists", message)


class EntityLimitExceeded(CloudFrontException):
    def __init__(self, message):
        super().__init__("EntityLimitExceeded", message)


class ResourceNotDisabled(CloudFrontException):
    def __init__(self, message):
        super().__init__("ResourceNotDisabled", message)


class ResourceInUse(CloudFrontException):
    def __init__(self, message):
        super().__init__("ResourceInUse", message)
