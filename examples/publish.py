#!/usr/bin/env python3
"""Publish to userhub from Python, with the standard library only.

Signs each request per Standard Webhooks (HMAC-SHA256 over id.timestamp.body
with the bytes of WEBHOOK_SECRET after "whsec_"), and binds the body to its
target: the body names the user (and the job) of the path it is sent to.

    HUB_URL=http://127.0.0.1:8787 WEBHOOK_SECRET=whsec_... python3 publish.py john zip-42
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


def signed_request(hub_url, secret, method, path, body):
    """Sends one signed request; returns (status, parsed JSON answer)."""
    text = json.dumps(body, separators=(",", ":"))
    webhook_id = "msg_" + uuid.uuid4().hex
    timestamp = str(int(time.time()))
    key = base64.b64decode(secret[len("whsec_"):])
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.{text}".encode(), hashlib.sha256).digest()
    request = urllib.request.Request(
        hub_url.rstrip("/") + path,
        data=text.encode(),
        method=method,
        headers={
            "Content-Type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def main():
    user, job = sys.argv[1], sys.argv[2]
    hub_url = os.environ.get("HUB_URL", "http://127.0.0.1:8787")
    secret = os.environ["WEBHOOK_SECRET"].split()[0]
    quoted = urllib.parse.quote(user, safe="")

    # A job that finished: the user's clients see job.succeeded (waitForJob resolves).
    status, answer = signed_request(
        hub_url, secret, "PUT", f"/v1/users/{quoted}/jobs/{urllib.parse.quote(job, safe='')}",
        {"userId": user, "jobId": job, "status": "succeeded", "result": {"url": "https://files.example.com/" + job + ".zip"}},
    )
    print(status, json.dumps(answer))
    # A notification in the user's inbox (inbox.created; Web Push when not connected).
    status, answer = signed_request(
        hub_url, secret, "POST", f"/v1/users/{quoted}/notifications",
        {"userId": user, "type": "export.ready", "title": "Your export is ready", "url": "/exports/" + job},
    )
    print(status, json.dumps(answer))


if __name__ == "__main__":
    main()
