"""URLs members give the server to fetch: refused before any connection when unsafe."""

import pytest

from portal.netguard import UnsafeURL, check_public_url, check_url_shape

HOSTILE = {
    "ext::sh -c touch% /tmp/pwned": "ext::",
    "fd::17/foo": "fd::",
    "file:///etc/passwd": "Only https://",
    "ssh://git@example.org/repo.git": "Only https://",
    "git://example.org/repo.git": "Only https://",
    "git@example.org:repo.git": "Only https://",
    "http://example.org/repo.git": "Only https://",
    "--upload-pack=touch /tmp/pwned": "cannot start with '-'",
    "-u https://example.org/": "cannot start with '-'",
    "https://user:secret@example.org/repo.git": "user name or password",
    "https://token@example.org/repo.git": "user name or password",
    "https://example.org/$HOME/repo.git": "'$'",
    "https://example.org/${IFS}x": "'$'",
    "https://example.org/%HOMEPATH%/repo": "stray '%'",
    "https://example.org/`id`": "'`'",
    "https://example.org/repo.git\n--config=x": "control characters",
    "https:///repo.git": "no valid host",
    "https://exa_mple.org/repo.git": "no valid host",
    "https://example.org:99999/repo.git": "not a valid address",
    "": "Give the address",
    "https://example.org/" + "a" * 2000: "longer than",
}


@pytest.mark.parametrize("url", HOSTILE)
def test_a_hostile_url_is_refused_by_its_shape_with_a_reason(url):
    with pytest.raises(UnsafeURL) as refusal:
        check_url_shape(url)
    assert HOSTILE[url] in str(refusal.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/repo.git",
        "https://localhost/repo.git",
        "https://10.1.2.3/repo.git",
        "https://172.16.0.1/repo.git",
        "https://192.168.1.1/repo.git",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/repo.git",
        "https://0.0.0.0/repo.git",
        "https://[::1]/repo.git",
        "https://[::ffff:127.0.0.1]/repo.git",
        "https://[fd00::1]/repo.git",
        "https://[fe80::1]/repo.git",
        "https://224.0.0.1/repo.git",
        "https://2130706433/repo.git",
        "https://0x7f000001/repo.git",
    ],
)
async def test_a_host_that_resolves_to_an_internal_address_is_refused(url):
    with pytest.raises(UnsafeURL, match="internal address"):
        await check_public_url(url)


async def test_a_public_address_passes_and_an_admin_may_allow_private_ones():
    checked = await check_public_url("https://93.184.215.14:8443/team/repo.git")
    assert (checked.host, checked.port, checked.addresses) == ("93.184.215.14", 8443, ("93.184.215.14",))

    local = await check_public_url("http://127.0.0.1:9/repo.git", schemes=("https", "http"), allow_private=True)
    assert local.addresses == ("127.0.0.1",)


async def test_a_host_that_does_not_resolve_is_refused_clearly():
    with pytest.raises(UnsafeURL, match="could not be found"):
        await check_public_url("https://no-such-host.invalid/repo.git")
