"""Outgoing calls to addresses users give (partner postbacks, webhooks): no server-side request forgery.

A URL is checked when it is saved and again when it is called (DNS may change in between): only
http/https, and every address its host resolves to must be public. The connection then goes to the
address that was checked, not to a second lookup, so a host cannot switch to 127.0.0.1 between the
check and the call. Redirects are never followed. Hosts in LEADFLOW_POSTBACK_ALLOW_HOSTS skip the
address check (a partner inside a private network, or the test suite's local server).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class UnsafeURL(ValueError):
    """The URL may not be called; `retry` says whether trying later could help (a DNS failure)."""

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: str  # the checked address the connection goes to


def allowed_hosts() -> set[str]:
    return {h.strip().lower().strip("[]") for h in getattr(settings, "LEADFLOW_POSTBACK_ALLOW_HOSTS", []) if h.strip()}


def unsafe_reason(address: str) -> str:
    """Why an address may not be called, or "" when it is a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address) and ip.sixtofour is not None:
        # 6to4 (2002::/16) reaches the IPv4 address inside it through a relay: that address is the target.
        inner = unsafe_reason(str(ip.sixtofour))
        if inner:
            return inner
    if ip.is_loopback:
        return _("a loopback address")
    if ip.is_link_local:
        return _("a link-local address")
    if ip.is_multicast:
        return _("a multicast address")
    if ip.is_unspecified or ip.is_reserved:
        return _("a reserved address")
    if ip.is_private or not ip.is_global:
        return _("a private address")
    return ""


def check_url(url: str, *, resolve: bool = True) -> Target:
    """The target of a URL that may be called; raises UnsafeURL naming the problem otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeURL(_("The address is malformed: %(error)s.") % {"error": error}) from error
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL(_("Only http:// and https:// addresses are allowed."))
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeURL(_("The address has no host name."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL(_("The address may not contain a user name or password."))
    port = port or (443 if scheme == "https" else 80)
    # Spaces or Cyrillic typed into a template are percent-encoded; what is already encoded stays.
    path = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe="/?&=%:;@!$'()*+,~[]")
    if not resolve:
        return Target(scheme, host, port, path, "")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeURL(_("The host %(host)s does not resolve.") % {"host": host}, retry=True) from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if host not in allowed_hosts():
        for address in addresses:
            reason = unsafe_reason(address)
            if reason:
                raise UnsafeURL(_("%(host)s points to %(address)s, %(reason)s; only public addresses are allowed.")
                                % {"host": host, "address": address, "reason": reason})
    if not addresses:
        raise UnsafeURL(_("The host %(host)s does not resolve.") % {"host": host}, retry=True)
    return Target(scheme, host, port, path, addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is still checked against the host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def get(url: str, *, timeout: float) -> int:
    """GET a checked URL without following redirects; the response's status code.

    Raises UnsafeURL for an address that may not be called, OSError for network failures.
    """
    return _send("GET", url, timeout=timeout, headers={"User-Agent": "Leadflow-Postback/1", "Accept": "*/*"})


def post(url: str, body: bytes, *, timeout: float, headers: dict[str, str]) -> int:
    """POST `body` to a checked URL without following redirects; the response's status code (raises as `get`)."""
    return _send("POST", url, timeout=timeout, body=body,
                 headers={"Accept": "*/*", **headers, "Content-Length": str(len(body))})


def _send(method: str, url: str, *, timeout: float, headers: dict[str, str], body: bytes | None = None) -> int:
    target = check_url(url)
    connection_class = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = connection_class(target, timeout)
    try:
        connection.request(method, target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()


def attempt(send: Callable[[], int], *, what: str) -> tuple[int | None, str, bool]:
    """(response code, error, may retry) of one call made by `send` (get or post above), for a delivery that keeps
    trying: `what` names the address to correct when a redirect answers (redirects are never followed)."""
    try:
        code = send()
    except UnsafeURL as error:
        return None, str(error), error.retry
    except (OSError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__}: {error}"[:1000], True
    if 200 <= code < 300:
        return code, "", False
    if 300 <= code < 400:
        return code, f"answered a redirect; redirects are not followed, correct {what}", False
    # 408 and 429 ask to come back later, 5xx is the receiver's trouble; other 4xx will not get better by waiting.
    return code, f"answered HTTP {code}", code >= 500 or code in (408, 429)
