"""Commit links go to the host's own page when the host is one we know, and nowhere otherwise."""

import pytest

from contributors.hosts import commit_url, url_key, web_page

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://github.com/ada/roundtable.git", f"https://github.com/ada/roundtable/commit/{SHA}"),
        ("https://GitHub.com/ada/roundtable/", f"https://github.com/ada/roundtable/commit/{SHA}"),
        ("https://gitlab.com/group/sub/project.git", f"https://gitlab.com/group/sub/project/-/commit/{SHA}"),
        ("https://gitlab.example.org/team/app", f"https://gitlab.example.org/team/app/-/commit/{SHA}"),
        ("https://codeberg.org/ada/plugin", f"https://codeberg.org/ada/plugin/commit/{SHA}"),
        ("https://gitea.example.org/ada/plugin.git", f"https://gitea.example.org/ada/plugin/commit/{SHA}"),
        ("https://forgejo.example.org/ada/plugin", f"https://forgejo.example.org/ada/plugin/commit/{SHA}"),
        ("https://git.example.org/plugin.git", None),
        ("http://github.com/ada/roundtable", None),
        ("/srv/git/plugin.git", None),
    ],
)
def test_commit_links_by_host(url, expected):
    assert commit_url(*web_page(url), SHA) == expected


def test_two_spellings_of_one_repository_are_one():
    assert url_key("https://GitHub.com/ada/roundtable.git") == url_key("https://github.com/ada/roundtable/")
