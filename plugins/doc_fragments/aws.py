# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The connection options every AWS module of this collection shares.
    DOCUMENTATION = r"""
options:
  access_key:
    description:
      - AWS access key ID.
      - When not given, boto3 looks in the usual places in its usual order, among them
        the E(AWS_ACCESS_KEY_ID) environment variable, the profile, and an instance or task role.
    type: str
    aliases: [aws_access_key_id, aws_access_key]
  secret_key:
    description:
      - AWS secret access key. Must be given together with O(access_key).
      - When not given, boto3 reads E(AWS_SECRET_ACCESS_KEY), the profile or a role.
    type: str
    aliases: [aws_secret_access_key, aws_secret_key]
  session_token:
    description:
      - AWS session token for temporary credentials (boto3 also reads E(AWS_SESSION_TOKEN)).
      - The alias C(security_token) was removed, as amazon.aws removed it; use O(session_token) or
        O(aws_session_token).
    type: str
    aliases: [aws_session_token]
  profile:
    description:
      - A named profile from the AWS config files (boto3 also reads E(AWS_PROFILE)).
      - Cannot be combined with O(access_key) and O(secret_key).
    type: str
    aliases: [aws_profile]
  region:
    description:
      - The region of the API endpoint. CloudFront and Route 53 are global; certificates for
        CloudFront live in us-east-1, the default when neither this nor E(AWS_REGION) is set.
    type: str
    aliases: [aws_region]
  endpoint_url:
    description:
      - Use this URL instead of the AWS default endpoint, for example a local stand-in.
      - Falls back to E(AWS_URL). When neither is set, botocore's own E(AWS_ENDPOINT_URL) and
        E(AWS_ENDPOINT_URL_CLOUDFRONT) (and so on) still apply.
    type: str
    aliases: [aws_endpoint_url]
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the AWS endpoint.
    type: bool
    default: true
  aws_ca_bundle:
    description:
      - A CA bundle to verify the endpoint's certificate with.
    type: path
  aws_config:
    description:
      - "Parameters of botocore's client configuration (C(botocore.config.Config)), as amazon.aws's
        C(aws_config) takes them, for example V({connect_timeout: 30, read_timeout: 120}),
        V({retries: {total_max_attempts: 5}}), V({proxies: {https: http://proxy.example.com:3128}}) or
        V({user_agent_extra: team-web})."
      - "They are merged over this collection's defaults, and a parameter given here wins over the default - with
        two exceptions. C(retries) in O(aws_config) is merged key by key - V({mode: adaptive}) keeps the default 10
        attempts, while C(max_attempts) or C(total_max_attempts) replaces them. C(user_agent_extra) is
        added after C(aliasguard.cloudfront/<version>) instead of replacing it."
      - "The defaults are C(retries) V({mode: standard, total_max_attempts: 10}), C(connect_timeout) V(15) and
        C(read_timeout) V(60) seconds."
      - A name botocore does not know is refused before any request, with the list of names it knows.
    type: dict
notes:
  - All AWS requests are retried with backoff on throttling (botocore's standard retry mode,
    up to 10 attempts unless C(retries) in O(aws_config) says otherwise), and carry the user agent
    C(aliasguard.cloudfront/<version>).
  - Use C(module_defaults) with C(group/aliasguard.cloudfront.aws) to give these options once for
    every AWS module of this collection.
requirements:
  - boto3 >= 1.28
  - botocore >= 1.31
"""
