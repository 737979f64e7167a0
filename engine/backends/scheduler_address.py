"""A Dask scheduler's address, checked as text before anything runs.

``--scheduler`` and the window's Scheduler field take what the user typed. A plainly malformed
address (a port past 65535, letters for a port, no port at all) is bad input: it is refused here
in one line, at the same time as every other setting, instead of costing a connection attempt
and a timeout. Whether something answers at a well-formed address is the backend's question.

This module imports nothing from distributed: the CLI checks its arguments before the half
second that importing it costs, and on machines where it is not installed.
"""

from __future__ import annotations

import ipaddress
import re

#: The comms distributed speaks, as written in an address.
SCHEMES = ("tcp", "tls", "ws", "wss", "inproc")

# A host name: dot-separated labels of letters, digits, '-' and '_' (container and cluster
# names use underscores), none starting or ending with '-'.
_LABEL = r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*\.?")
_DASHBOARD_HINT = ("a web address (the dashboard's?): the scheduler itself listens on "
                   "tcp://host:8786 by default")


def _host_problem(host: str) -> str | None:
    if host.startswith("["):
        inner = host[1:-1] if host.endswith("]") else ""
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            return f"{host!r} is not an IPv6 address in brackets"
        return None
    if not host:
        return "it names no host"
    if ":" in host:
        return f"{host!r}: write an IPv6 host in brackets, e.g. tcp://[::1]:8786"
    if re.fullmatch(r"[\d.]+", host):  # all digits and dots: meant as IPv4, so it must be one
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return f"{host!r} is not an IPv4 address"
        return None
    if not _HOST_NAME.fullmatch(host):
        return f"{host!r} is not a host name"
    return None


def check_scheduler_address(address: str) -> str | None:
    """The problem with a scheduler address, in one line, or None if it is well formed.

    Accepted: ``tcp://HOST:PORT``, and the same with ``tls://``, ``ws://`` or ``wss://``
    (``PORT`` 1..65535; ``HOST`` a name, an IPv4 address or ``[IPv6]``), and ``inproc://...``.
    Nothing is resolved or contacted.
    """
    shown = f"scheduler address {address!r}"
    if not address.strip():
        return "the scheduler address is empty"
    if any(c.isspace() for c in address):
        return f"{shown} contains spaces; it should look like tcp://host:port"
    scheme, sep, rest = address.partition("://")
    if not sep:
        return f"{shown} should look like tcp://host:port"
    if scheme in ("http", "https"):
        return f"{shown} is {_DASHBOARD_HINT}"
    if scheme not in SCHEMES:
        return (f"{shown}: unknown scheme {scheme!r} "
                f"(use {', '.join(s + '://' for s in SCHEMES)})")
    if scheme == "inproc":
        return None if rest else f"{shown} names no in-process address"
    if "/" in rest or "?" in rest or "#" in rest:
        return f"{shown} has a path; a scheduler address is only tcp://host:port"
    if "@" in rest:
        return f"{shown} has a user name; a scheduler address is only tcp://host:port"
    host, colon, port = rest.rpartition(":")
    if not colon or not port or (host.startswith("[") and not host.endswith("]")):
        return f"{shown} has no port (write {scheme}://host:port; Dask's default is 8786)"
    why = _host_problem(host)
    if why is not None:
        return f"{shown}: {why}"
    if not port.isascii() or not port.isdigit():
        return f"{shown}: port {port!r} is not a number"
    if not 1 <= int(port) <= 65535:
        return f"{shown}: port {int(port)} is out of range 1..65535"
    return None
