#!/usr/bin/env python3
"""Writes <count> distinct, signed /install slash-command requests, one a line: timestamp, signature, form body
(tab-separated; bodies are URL-encoded, so they hold no tabs or newlines). Every body has its own user_id and
trigger_id; the timestamp is now, so the pool stays inside Slack's 300-second replay window for the run.
wrk's LuaJIT has no HMAC-SHA256, hence signing here.

Usage: sign_pool.py <signing secret> <count> <out>
"""
import hashlib
import hmac
import sys
import time
from urllib.parse import urlencode


def main() -> None:
    secret, count, out = sys.argv[1].encode(), int(sys.argv[2]), sys.argv[3]
    ts = str(int(time.time()))
    with open(out, "w", encoding="ascii") as f:
        for i in range(count):
            body = urlencode({
                "token": "ignored",
                "team_id": "T0BENCH01",
                "team_domain": "bench",
                "channel_id": f"C{i % 97:08d}",
                "channel_name": "builds",
                "user_id": f"U{i:09d}",
                "user_name": f"bench.user.{i}",
                "command": "/install",
                "text": "bench beta",
                "api_app_id": "A0BENCH01",
                "is_enterprise_install": "false",
                "response_url": "http://127.0.0.1:9/unused",
                "trigger_id": f"{i}.4744562912.{hashlib.md5(str(i).encode()).hexdigest()}",
            })
            signature = "v0=" + hmac.new(secret, f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
            f.write(f"{ts}\t{signature}\t{body}\n")


if __name__ == "__main__":
    main()
