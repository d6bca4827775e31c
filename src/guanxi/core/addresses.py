"""The addresses a server bound to a host answers on: what ``guanxi start`` allows
(Django's ``ALLOWED_HOSTS``) and the URLs it prints.

For a wildcard host (``0.0.0.0``, ``::``) that is every address of this machine
(read from the kernel on Linux, by name lookup elsewhere) and its host names;
for a named host, that name. Link-local IPv6 addresses are left out: a browser
cannot open them without a zone id.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Listening", "listening", "machine_addresses"]

WILDCARDS_V4 = {"0.0.0.0", ""}
WILDCARDS_V6 = {"::", "[::]"}
_SIOCGIFADDR = 0x8915


@dataclass(frozen=True)
class Listening:
    """``hosts``: the Host header values to allow; ``urls``: where to open it
    (this machine first, then the addresses other computers use)."""

    hosts: tuple[str, ...]
    local_url: str
    other_urls: tuple[str, ...]


def _ipv4_of_interfaces() -> list[str]:
    found: list[str] = []
    try:
        import fcntl  # Unix only

        names = [name for _index, name in socket.if_nameindex()]
    except (ImportError, OSError):
        return found
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for name in names:
            request = struct.pack("256s", name.encode()[:15])
            try:
                answer = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, request)
            except OSError:  # no IPv4 address on this interface
                continue
            found.append(socket.inet_ntoa(answer[20:24]))
    return found


def _ipv6_of_interfaces() -> list[str]:
    found: list[str] = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            raw = line.split()[0]
            found.append(str(ipaddress.IPv6Address(bytes.fromhex(raw))))
    return found


def _by_name(family: int) -> list[str]:
    found: list[str] = []
    for name in {socket.gethostname(), socket.getfqdn()}:
        with contextlib.suppress(OSError):
            for info in socket.getaddrinfo(name, None, family, socket.SOCK_STREAM):
                found.append(str(info[4][0]))
    return found


def machine_addresses(*, ipv6: bool) -> list[str]:
    """This machine's IPv4 (and IPv6) addresses, loopback included, no
    link-local, each once, in a stable order."""
    candidates = _ipv4_of_interfaces() + _by_name(socket.AF_INET)
    if ipv6:
        candidates += _ipv6_of_interfaces() + _by_name(socket.AF_INET6)
    seen: dict[str, None] = {}
    for text in candidates:
        try:
            address = ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            continue
        if address.is_link_local or address.is_unspecified:
            continue
        seen.setdefault(str(address))
    return sorted(seen, key=lambda a: (ipaddress.ip_address(a).version, a))


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def listening(host: str, port: int) -> Listening:
    """What a server bound to ``host``:``port`` answers to."""
    wildcard_v6 = host in WILDCARDS_V6
    if host in WILDCARDS_V4 or wildcard_v6:
        addresses = machine_addresses(ipv6=wildcard_v6)
        names = [
            n
            for n in dict.fromkeys([socket.gethostname(), socket.getfqdn()])
            if n and n != "localhost"
        ]
        hosts = ["localhost", *names, *(_url_host(a) for a in addresses)]
        others = [a for a in addresses if not ipaddress.ip_address(a).is_loopback]
        other_urls = [f"http://{_url_host(a)}:{port}/" for a in others]
        other_urls += [f"http://{n}:{port}/" for n in names]
        local = "[::1]" if wildcard_v6 else "127.0.0.1"
        return Listening(
            hosts=tuple(dict.fromkeys(hosts)),
            local_url=f"http://{local}:{port}/",
            other_urls=tuple(dict.fromkeys(other_urls)),
        )
    shown = _url_host(host.strip("[]"))
    hosts = [shown]
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            hosts.append("localhost")
    return Listening(
        hosts=tuple(hosts), local_url=f"http://{shown}:{port}/", other_urls=()
    )
