"""Run the sandbox's Cloudflare API in a background thread, for tests that speak HTTP to it.

Tests use only what ``CloudflareSandbox`` exposes (base URL, token, account id,
fault policy, request log), so this helper can later be swapped for the full
sandbox (``python -m sandbox up``) without touching them.
"""

import contextlib
import os
import secrets
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

# The repository root, so that ``sandbox`` imports whatever directory pytest runs from.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from sandbox.cloudflare import CloudflareStore, make_app  # noqa: E402
from sandbox.faults import FaultPolicy  # noqa: E402
from sandbox.reqlog import RequestLog, read_log  # noqa: E402


@dataclass
class CloudflareSandbox:
    base_url: str
    api_token: str
    account_id: str
    faults: FaultPolicy
    log_path: str

    def log_entries(self, since=0):
        return read_log(self.log_path, since)

    def log_length(self):
        return len(read_log(self.log_path))


class _QuietHandler(WSGIRequestHandler):
    # One access line per request would drown the test output; the request log has it all.
    def log_request(self, code="-", size="-"):
        pass


@contextlib.contextmanager
def serve_cloudflare(state_dir, account_id="0a1b2c3d4e5f60718293a4b5c6d7e8f9"):
    """Serve a fresh store on 127.0.0.1 (port chosen by the OS) until the block ends."""
    token = "cfsbx-" + secrets.token_urlsafe(24)
    log_path = os.path.join(str(state_dir), "requests.jsonl")
    log = RequestLog(log_path)
    faults = FaultPolicy()
    app = make_app(CloudflareStore(), token, log, faults, account_id=account_id)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="cloudflare-sandbox", daemon=True
    )
    thread.start()
    try:
        yield CloudflareSandbox(
            base_url="http://127.0.0.1:%d/client/v4" % server.server_port,
            api_token=token,
            account_id=account_id,
            faults=faults,
            log_path=log_path,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        log.close()


@pytest.fixture
def cf_sandbox(tmp_path):
    with serve_cloudflare(tmp_path) as sandbox:
        yield sandbox
