"""The few GitHub REST calls the workflows make, from our own tested code.

Why not `gh` or CML: every call here paginates (CML 0.20.6 reads only a PR's first 30
comments and then adds a duplicate report), is pinned by `requirements.lock` with the rest
of the code (no npm tree resolved at run time), and honours `GITHUB_API_URL`, so tests
point it at a recording double on 127.0.0.1 and GitHub Enterprise works unchanged.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_ml.core.errors import UserError

DEFAULT_API = "https://api.github.com"
PER_PAGE = 100
TIMEOUT = 30
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')

# What a status code usually means for a workflow's token, and what to change.
_FIXES = {
    401: "the token is missing or expired: pass GITHUB_TOKEN (or GH_TOKEN) from the workflow",
    403: "give the job the permission this call needs in its `permissions:` block (docs/ci.md)",
    404: "check the repository and number; a token without access to them also gets 404",
    422: "GitHub refused the request's content (see the message)",
}


class GitHubError(UserError):
    """A refused API call: the method and path, GitHub's message, and the likely fix."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        self.status = status
        fix = _FIXES.get(status, "retry; if it persists, see GitHub's status page")
        super().__init__("GitHub API", f"{method} {path}", f"HTTP {status}: {message}", fix)


@dataclass(frozen=True)
class GitHub:
    """A repository on a GitHub API server, and the token to call it with."""

    api: str
    repo: str
    token: str

    @staticmethod
    def available(env: Mapping[str, str] | None = None) -> bool:
        """Whether a repository and a token are set (in a workflow step, or exported)."""
        env = os.environ if env is None else env
        return bool(
            env.get("GITHUB_REPOSITORY") and (env.get("GITHUB_TOKEN") or env.get("GH_TOKEN"))
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GitHub:
        """The repository and token a workflow step sees (GITHUB_TOKEN, else GH_TOKEN)."""
        env = os.environ if env is None else env
        token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or ""
        repo = env.get("GITHUB_REPOSITORY", "")
        missing = [
            name
            for name, value in (("GITHUB_REPOSITORY", repo), ("GITHUB_TOKEN", token))
            if not value
        ]
        if missing:
            raise UserError(
                "environment",
                ", ".join(missing),
                "not set",
                "run inside GitHub Actions, or export them (GITHUB_TOKEN: a token with access to the repository)",
            )
        return cls(env.get("GITHUB_API_URL") or DEFAULT_API, repo, token)

    def url(self, path: str, query: Mapping[str, object] | None = None) -> str:
        """`path` is relative to the repository unless it starts with `/`."""
        full = path if path.startswith("/") else f"/repos/{self.repo}/{path}"
        tail = f"?{urllib.parse.urlencode(query)}" if query else ""
        return f"{self.api.rstrip('/')}{full}{tail}"

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        content_type: str,
    ) -> tuple[Any, Mapping[str, str]]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "gitops-ml",
        }
        if body is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        shown = urllib.parse.urlsplit(url).path
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                raw = response.read()
                return (json.loads(raw) if raw else None), response.headers
        except urllib.error.HTTPError as err:
            raise GitHubError(method, shown, err.code, _message(err.read())) from None
        except urllib.error.URLError as err:
            raise UserError(
                "GitHub API",
                f"{method} {shown}",
                f"cannot connect: {err.reason}",
                f"check GITHUB_API_URL ({self.api})",
            ) from None

    def call(self, method: str, path: str, payload: object = None, **query: object) -> Any:
        """One JSON request; the decoded response (None when it has no body)."""
        body = None if payload is None else json.dumps(payload).encode()
        data, _ = self._send(method, self.url(path, query or None), body, "application/json")
        return data

    def get_or_none(self, path: str, **query: object) -> Any:
        """GET that answers None for 404 (a release or environment that does not exist)."""
        try:
            return self.call("GET", path, **query)
        except GitHubError as err:
            if err.status == 404:
                return None
            raise

    def paginate(self, path: str, **query: object) -> Iterator[Any]:
        """Every item of a list endpoint, following `Link: rel="next"` to the last page."""
        url: str | None = self.url(path, {"per_page": PER_PAGE, **query})
        while url:
            page, headers = self._send("GET", url, None, "")
            yield from page or []
            found = _NEXT.search(headers.get("Link", "") or "")
            url = found.group(1) if found else None

    def upload(self, upload_url: str, name: str, data: bytes) -> Any:
        """Attach a file to a release (its `upload_url` is an RFC 6570 template)."""
        base = upload_url.split("{", 1)[0]
        url = f"{base}?{urllib.parse.urlencode({'name': name})}"
        result, _ = self._send("POST", url, data, "application/octet-stream")
        return result


def _message(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace").strip()[:200] or "no message"
    if isinstance(data, dict):
        return str(data.get("message") or data)[:300]
    return str(data)[:300]
