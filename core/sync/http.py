"""The HTTP client the engine hands each adapter (adapters never build one, STYLE §3).

It carries the remote's base URL, a timeout and neutral headers, and nothing else: authentication is the
adapter's (it knows the scheme), and so are retries, because only the adapter knows which of its requests
are safe to repeat (rolo's adapters share `rolo.adapters._http.HttpClient`, which retries 429, 5xx and
timeouts with capped backoff and honours `Retry-After` and the rate-limit headers). Tests pass their own
`transport` to reach an in-process server.
"""

from __future__ import annotations

import httpx

DEFAULT_TIMEOUT = 30.0


def make_client(url: str, *, timeout: float = DEFAULT_TIMEOUT,
                transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The client for one remote: `base_url` set, a timeout per request, JSON accepted."""
    return httpx.Client(
        base_url=url,
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
        headers={"Accept": "application/json", "User-Agent": "rolo-sync"},
        follow_redirects=False,
    )
