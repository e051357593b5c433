"""No server-side request forgery: addresses a partner gives are checked on save and on every call."""

import pytest

from leadflow.core import netguard


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/pb",
    "http://127.1.2.3:8080/pb",
    "http://10.0.0.5/pb",
    "http://172.16.0.1/pb",
    "http://192.168.1.10/pb",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/pb",
    "http://[::ffff:127.0.0.1]/pb",
    "http://[fe80::1]/pb",
    "http://[fc00::1]/pb",
    "http://0.0.0.0/pb",
    "http://224.0.0.1/pb",
    "http://100.64.0.1/pb",
    "http://localhost/pb",
    "http://2130706433/pb",  # 127.0.0.1 written as a number
])
def test_private_loopback_and_link_local_addresses_are_refused(url, settings):
    settings.LEADFLOW_POSTBACK_ALLOW_HOSTS = []
    with pytest.raises(netguard.UnsafeURL) as refused:
        netguard.check_url(url)
    assert not refused.value.retry
    assert "only public addresses" in str(refused.value)


@pytest.mark.parametrize(("url", "problem"), [
    ("ftp://93.184.215.14/pb", "Only http:// and https://"),
    ("file:///etc/passwd", "Only http:// and https://"),
    ("gopher://93.184.215.14/", "Only http:// and https://"),
    ("http:///pb", "no host name"),
    ("http://user:secret@93.184.215.14/pb", "user name or password"),
    ("http://93.184.215.14:99999/pb", "malformed"),
])
def test_other_schemes_and_malformed_addresses_are_refused(url, problem):
    with pytest.raises(netguard.UnsafeURL, match=problem):
        netguard.check_url(url)


def test_a_public_address_passes_and_the_connection_goes_to_the_checked_address(settings):
    settings.LEADFLOW_POSTBACK_ALLOW_HOSTS = []
    target = netguard.check_url("https://93.184.215.14:8443/pb?cid=1&s=accepted")
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https", "93.184.215.14", 8443, "/pb?cid=1&s=accepted", "93.184.215.14")


def test_an_allowed_host_may_be_loopback_but_only_that_host(settings):
    settings.LEADFLOW_POSTBACK_ALLOW_HOSTS = ["127.0.0.1"]
    assert netguard.check_url("http://127.0.0.1:9/pb").address == "127.0.0.1"
    with pytest.raises(netguard.UnsafeURL):
        netguard.check_url("http://localhost:9/pb")
    with pytest.raises(netguard.UnsafeURL):
        netguard.check_url("http://10.0.0.1/pb")


def test_a_host_that_does_not_resolve_may_be_retried_later():
    with pytest.raises(netguard.UnsafeURL, match="does not resolve") as refused:
        netguard.check_url("http://no-such-host.invalid/pb")
    assert refused.value.retry


@pytest.mark.parametrize("url", [
    "http://[64:ff9b::7f00:1]/pb",  # NAT64 (RFC 6052): the gateway connects to 127.0.0.1
    "http://[64:ff9b::a00:5]/pb",  # NAT64 to 10.0.0.5
    "http://[64:ff9b:1::a9fe:a9fe]/pb",  # local-use NAT64 prefix (RFC 8215) to 169.254.169.254
    "http://[2002:a00:5::1]/pb",  # 6to4 of 10.0.0.5
    "http://[::127.0.0.1]/pb",  # IPv4-compatible (deprecated) loopback
    "http://[2001::7f00:1]/pb",  # Teredo
])
def test_ipv6_addresses_that_carry_a_private_ipv4_address_are_refused(url, settings):
    settings.LEADFLOW_POSTBACK_ALLOW_HOSTS = []
    with pytest.raises(netguard.UnsafeURL, match="only public addresses"):
        netguard.check_url(url)

