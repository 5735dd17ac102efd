"""A local, offline stand-in for AWS (CloudFront, Route 53), Cloudflare and DNS.

See SANDBOX.md (shared) for the contract; ``python -m sandbox --help`` for the commands.
"""
