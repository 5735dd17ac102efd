# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The options of provider google, Google Cloud DNS (plugins/module_utils/_dns/google.py).
    # dns_provider.py adds them to every module that takes a provider.
    DOCUMENTATION = r"""
options:
  project:
    description:
      - Google Cloud DNS only. The id of the Google Cloud project that holds the managed zones.
      - Falls back to E(GCP_PROJECT), then to E(GOOGLE_CLOUD_PROJECT), then to the project the application default
        credentials name (O(auth_kind=application)).
    type: str
  auth_kind:
    description:
      - Google Cloud DNS only. How to authenticate, as the C(google.cloud) modules name it. V(accesstoken) sends
        O(access_token) and needs no library; V(serviceaccount) reads the key file O(service_account_file) and
        V(application) uses the application default credentials, both through the Python library C(google-auth)
        (without it the module fails and says to install it).
      - Falls back to E(GCP_AUTH_KIND). Without it, V(accesstoken) when an access token is given, else
        V(serviceaccount) when a key file is given, else V(application).
      - The credentials need the C(https://www.googleapis.com/auth/ndev.clouddns.readwrite) scope and the
        permissions C(dns.managedZones.list), C(dns.resourceRecordSets.list), C(dns.changes.create) and
        C(dns.changes.get) in the project (the role C(roles/dns.admin) has them).
    type: str
    choices: [accesstoken, serviceaccount, application]
  service_account_file:
    description:
      - Google Cloud DNS only. The path of a service account's JSON key file, for O(auth_kind=serviceaccount).
        Falls back to E(GCP_SERVICE_ACCOUNT_FILE).
    type: path
  access_token:
    description:
      - Google Cloud DNS only. An OAuth 2.0 access token (for example from C(gcloud auth print-access-token); it
        lasts an hour), for O(auth_kind=accesstoken). Never printed.
      - Falls back to E(GOOGLE_OAUTH_ACCESS_TOKEN), then to E(GCP_ACCESS_TOKEN) - the way to give it without writing
        it into a playbook or a command line.
    type: str
  api_endpoint:
    description:
      - Google Cloud DNS only. The address of the Cloud DNS API, an C(http) or C(https) URL without the C(/dns/v1)
        path (the name C(google-api-core) gives it). Falls back to E(GOOGLE_DNS_BASE_URL), then to
        C(https://dns.googleapis.com).
    type: str
  managed_zone:
    description:
      - Google Cloud DNS only. The managed zone's name in Cloud DNS (like C(example-com)) or its id.
      - Not needed when the project has one public managed zone for the zone's DNS name, which is found by that
        name; give it when there are several (the error lists them).
      - Private zones are refused (they answer only inside their VPC networks, so neither viewers nor CloudFront
        see them).
    type: str
"""
