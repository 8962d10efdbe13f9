"""The client's IP address: REMOTE_ADDR, or X-Forwarded-For read past trusted proxies only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kundenwert.core.net import client_ip

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ip_of(rf, settings):
    """Return a function: the client address of a request from `remote` with `forwarded`."""

    def ip_of(remote: str | None, forwarded: str | None = None, *, trusted=()) -> str | None:
        settings.TRUSTED_PROXIES = list(trusted)
        meta = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
        request = rf.get("/", **meta)
        if remote is None:
            del request.META["REMOTE_ADDR"]
        else:
            request.META["REMOTE_ADDR"] = remote
        return client_ip(request)

    return ip_of


def test_without_trusted_proxies_the_header_is_ignored(ip_of):
    assert ip_of("192.0.2.50") == "192.0.2.50"
    assert ip_of("192.0.2.50", "203.0.113.7") == "192.0.2.50"
    assert ip_of("192.0.2.50", "203.0.113.7, 198.51.100.4") == "192.0.2.50"


def test_a_request_not_from_a_trusted_proxy_cannot_spoof(ip_of):
    # The server trusts its proxy, but this request came straight from a client.
    assert ip_of("192.0.2.50", "203.0.113.7", trusted=["10.0.0.1"]) == "192.0.2.50"
    assert ip_of("10.0.0.2", "203.0.113.7", trusted=["10.0.0.1"]) == "10.0.0.2"


def test_one_trusted_proxy_passes_the_client_on(ip_of):
    assert ip_of("10.0.0.1", "203.0.113.7", trusted=["10.0.0.1"]) == "203.0.113.7"
    assert ip_of("10.0.0.1", " 203.0.113.7 ", trusted=["10.0.0.1"]) == "203.0.113.7"


def test_what_the_client_put_in_front_is_not_believed(ip_of):
    # The client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the real address.
    assert ip_of("10.0.0.1", "1.1.1.1, 203.0.113.7", trusted=["10.0.0.1"]) == "203.0.113.7"


def test_a_chain_of_proxies_is_walked_from_the_right(ip_of):
    trusted = ["10.0.0.1", "10.0.0.5", "10.0.0.9"]
    chain = "1.1.1.1, 203.0.113.7, 10.0.0.5, 10.0.0.9"
    assert ip_of("10.0.0.1", chain, trusted=trusted) == "203.0.113.7"
    # An untrusted hop in the middle is where belief ends: it could have made up the rest.
    assert ip_of("10.0.0.1", "203.0.113.7, 198.51.100.4, 10.0.0.9", trusted=trusted) == (
        "198.51.100.4"
    )


def test_networks_are_trusted_as_a_whole(ip_of):
    trusted = ["10.0.0.0/8", "192.168.1.0/24"]
    chain = "203.0.113.7, 192.168.1.200, 10.255.0.3"
    assert ip_of("10.1.2.3", chain, trusted=trusted) == "203.0.113.7"
    # Just outside a network: that hop is the client.
    assert ip_of("10.1.2.3", "203.0.113.7, 192.168.2.1", trusted=trusted) == "192.168.2.1"
    assert ip_of("11.0.0.1", "203.0.113.7", trusted=trusted) == "11.0.0.1"
    # Host bits in a network entry are tolerated, as nginx's set_real_ip_from does.
    assert ip_of("10.1.2.3", "203.0.113.7", trusted=["10.1.2.3/8"]) == "203.0.113.7"


def test_only_trusted_hops_yield_the_leftmost_one(ip_of):
    # A request from inside the network through the proxy: no untrusted address at all.
    assert ip_of("10.0.0.1", "10.0.0.77", trusted=["10.0.0.0/8"]) == "10.0.0.77"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("", "10.0.0.1"),
        ("   ", "10.0.0.1"),
        ("unknown", "10.0.0.1"),
        ("203.0.113.7:4711", "10.0.0.1"),  # a port is not an address
        ("203.0.113.999", "10.0.0.1"),
        ("203.0.113.7, garbage, 10.0.0.5", "10.0.0.5"),  # stop at the last valid address
        ("203.0.113.7, , 10.0.0.5", "10.0.0.5"),
        ("garbage, 203.0.113.7", "203.0.113.7"),  # left of the client does not matter
        ("203.0.113.7,10.0.0.5", "203.0.113.7"),
    ],
)
def test_malformed_entries_end_the_walk(ip_of, forwarded, expected):
    assert ip_of("10.0.0.1", forwarded, trusted=["10.0.0.0/8"]) == expected


def test_a_missing_header_leaves_the_proxy(ip_of):
    assert ip_of("10.0.0.1", None, trusted=["10.0.0.1"]) == "10.0.0.1"


def test_ipv6_addresses_and_networks(ip_of):
    assert ip_of("::1", "2001:db8::7", trusted=["::1"]) == "2001:db8::7"
    assert ip_of("fd00::1", "2001:db8::7, fd12::3", trusted=["fd00::/8"]) == "2001:db8::7"
    # Written out at length, an address still counts as the same one.
    assert ip_of("::1", "2001:0DB8:0000:0000::0007", trusted=["::1"]) == "2001:db8::7"
    assert ip_of("2001:db8::9", "203.0.113.7", trusted=["::1"]) == "2001:db8::9"
    # Mixed families: an IPv6 proxy forwarding an IPv4 client.
    assert ip_of("::1", "203.0.113.7", trusted=["::1"]) == "203.0.113.7"


def test_ipv4_mapped_addresses_count_as_ipv4(ip_of):
    # A dual-stack socket reports the IPv4 proxy as ::ffff:10.0.0.1.
    assert ip_of("::ffff:10.0.0.1", "203.0.113.7", trusted=["10.0.0.0/8"]) == "203.0.113.7"
    assert ip_of("::ffff:192.0.2.50") == "192.0.2.50"


def test_no_or_a_malformed_remote_address_is_none(ip_of):
    assert ip_of(None) is None
    assert ip_of("") is None
    assert ip_of("not-an-address", "203.0.113.7", trusted=["0.0.0.0/0"]) is None


def test_a_malformed_trusted_proxy_is_a_configuration_error(ip_of):
    with pytest.raises(ImproperlyConfigured, match=re.escape("'10.0.0.300'")):
        ip_of("10.0.0.1", "203.0.113.7", trusted=["10.0.0.1", "10.0.0.300"])


def read_setting(value: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with TRUSTED_PROXIES=`value`."""
    env = {
        **os.environ,
        "TRUSTED_PROXIES": value,
        "SECRET_KEY": "x" * 50,
        "KUNDENWERT_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "sqlite:///" + str(tmp_path / "unused.sqlite3"),
    }
    code = "from kundenwert.config import settings; print(settings.TRUSTED_PROXIES)"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_the_environment_variable_is_a_comma_separated_list(tmp_path):
    result = read_setting(" 127.0.0.1, 10.0.0.0/8 ,,fd00::/8", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['127.0.0.1', '10.0.0.0/8', 'fd00::/8']"
    empty = read_setting("", tmp_path)
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.strip() == "[]"


def test_a_typo_in_the_environment_stops_the_start(tmp_path):
    result = read_setting("127.0.0.1,10.0.0.0/33", tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "'10.0.0.0/33'" in result.stderr
