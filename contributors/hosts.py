"""Where a repository's web pages are, for the hosts we know, so commits can link to them."""

from urllib.parse import urlsplit

from portal.netguard import UnsafeURL, check_url_shape

WEB_HOSTS = {"github.com": "github", "gitlab.com": "gitlab", "codeberg.org": "gitea", "gitea.com": "gitea"}


def url_key(url: str) -> str:
    """One spelling per repository: lower-case scheme and host, no trailing '/' or '.git'."""
    url = url.strip().rstrip("/").removesuffix(".git")
    if url.startswith(("/", "file://")):
        return url
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}"


def web_page(url: str) -> tuple[str | None, str | None]:
    """The repository's web address and the kind of host, when the host is one we know."""
    try:
        scheme, host, _port = check_url_shape(url, schemes=("https",))
    except UnsafeURL:
        return None, None
    kind = WEB_HOSTS.get(host.lower()) or next(
        (name for name in ("gitlab", "gitea", "forgejo") if host.lower().startswith(name + ".")), None
    )
    if kind == "forgejo":
        kind = "gitea"
    return (url_key(url), kind) if kind else (None, None)


def commit_url(web_url: str | None, web_kind: str | None, sha: str) -> str | None:
    """The commit's page on the host: GitHub and Gitea/Forgejo/Codeberg use /commit/, GitLab /-/commit/."""
    if not web_url:
        return None
    return f"{web_url}/-/commit/{sha}" if web_kind == "gitlab" else f"{web_url}/commit/{sha}"
