"""A recording double of the slice of GitHub's REST API the workflows use, on 127.0.0.1.

GitHub itself is the one part the tests cannot run, so this plays it: pull requests and
their comments, issues, releases and their assets, environments, commit statuses. It
paginates like GitHub (`per_page`, `page`, `Link: rel="next"`), lists pull requests among
issues as GitHub does, refuses a wrong token with 401, and records every request (method,
path, query, JSON body) so tests assert on what a workflow asked GitHub to do.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[["GitHubDouble", "Request", re.Match[str]], tuple[int, Any]]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any  # decoded JSON, or bytes for uploads


@dataclass
class GitHubDouble:
    repo: str = "acme/ml"
    token: str = "test-token"
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    releases: list[dict[str, Any]] = field(default_factory=list)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    approvals: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # run id -> reviews
    blobs: dict[str, bytes] = field(default_factory=dict)  # blob sha -> content
    trees: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # commit -> entries
    asset_data: dict[int, bytes] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- state set up by tests ----------------------------------------------------
    def add_pull(
        self,
        number: int,
        head_sha: str,
        *,
        head_repo: str | None = None,
        head_ref: str = "feature",
        state: str = "open",
        labels: tuple[str, ...] = (),
        merge_sha: str | None = None,
    ) -> dict[str, Any]:
        pull = {
            "number": number,
            "state": state,
            "title": f"PR {number}",
            "head": {
                "sha": head_sha,
                "ref": head_ref,
                "repo": {"full_name": head_repo or self.repo},
            },
            "base": {"ref": "main", "repo": {"full_name": self.repo}},
            "labels": [{"name": name} for name in labels],
            "merge_commit_sha": merge_sha,
        }
        self.pulls[number] = pull
        return pull

    def add_comment(self, number: int, body: str, login: str = "someone") -> dict[str, Any]:
        comment = {"id": next(self._ids), "body": body, "user": {"login": login}}
        self.comments.setdefault(number, []).append(comment)
        return comment

    def protect(self, environment: str, reviewers: int = 1) -> None:
        """An environment with required reviewers (what GitHub's API reports for one)."""
        rules = [
            {
                "id": next(self._ids),
                "type": "required_reviewers",
                "reviewers": [{"type": "User"}] * reviewers,
            }
        ]
        self.environments[environment] = {"name": environment, "protection_rules": rules}

    def approve(self, run_id: int, environment: str, login: str = "reviewer") -> None:
        """A required reviewer approved run `run_id` in `environment`."""
        review = {
            "state": "approved",
            "user": {"login": login},
            "environments": [{"name": environment}],
        }
        self.approvals.setdefault(run_id, []).append(review)

    def add_commit_files(self, commit: str, files: dict[str, bytes]) -> None:
        """What the git trees/blobs API answers for `commit` (a pull request's head)."""
        import hashlib

        entries = []
        for path, content in files.items():
            sha = hashlib.sha1(content).hexdigest()
            self.blobs[sha] = content
            entries.append({"path": path, "type": "blob", "sha": sha})
        self.trees[commit] = entries

    # ---- what tests read ---------------------------------------------------------
    def calls(self, method: str | None = None, pattern: str = "") -> list[Request]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and re.search(pattern, r.path)
            ]

    def writes(self) -> list[Request]:
        return [r for r in self.calls() if r.method != "GET"]

    # ---- routes ------------------------------------------------------------------
    def _pull(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        pull = self.pulls.get(int(m["n"]))
        return (200, pull) if pull else (404, {"message": "Not Found"})

    def _list_comments(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self.comments.get(int(m["n"]), [])

    def _add_comment(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        number = int(m["n"])
        if number not in self.pulls and number not in self.issues:
            return 404, {"message": "Not Found"}
        return 201, self.add_comment(number, str(req.body["body"]), "github-actions[bot]")

    def _edit_comment(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        for comment in itertools.chain.from_iterable(self.comments.values()):
            if comment["id"] == int(m["id"]):
                comment["body"] = str(req.body["body"])
                return 200, comment
        return 404, {"message": "Not Found"}

    def _list_issues(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        state = req.query.get("state", "open")
        found = [*self.issues.values(), *({**p, "pull_request": {}} for p in self.pulls.values())]
        return 200, [i for i in found if state == "all" or i["state"] == state]

    def _add_issue(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        number = max([*self.pulls, *self.issues, 0]) + 1
        issue = {
            "number": number,
            "state": "open",
            "title": req.body["title"],
            "body": req.body.get("body", ""),
            "labels": [{"name": name} for name in req.body.get("labels", [])],
        }
        self.issues[number] = issue
        return 201, issue

    def _edit_issue(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        issue = self.issues.get(int(m["n"]))
        if not issue:
            return 404, {"message": "Not Found"}
        issue.update({k: v for k, v in req.body.items() if k in {"title", "body", "state"}})
        return 200, issue

    def _release_by_tag(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        tag = urllib.parse.unquote(m["tag"])
        found = next((r for r in self.releases if r["tag_name"] == tag), None)
        return (200, found) if found else (404, {"message": "Not Found"})

    def _list_releases(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        return 200, list(reversed(self.releases))

    def _add_release(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        tag = req.body["tag_name"]
        if any(r["tag_name"] == tag for r in self.releases):
            return 422, {"message": "Validation Failed: tag_name already_exists"}
        rid = next(self._ids)
        release = {
            "id": rid,
            "tag_name": tag,
            "name": req.body.get("name", tag),
            "body": req.body.get("body", ""),
            "draft": bool(req.body.get("draft", False)),
            "assets": [],
            "upload_url": f"{self.url}/uploads/repos/{self.repo}/releases/{rid}/assets{{?name,label}}",
        }
        self.releases.append(release)
        return 201, release

    def _upload(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        release = next((r for r in self.releases if r["id"] == int(m["id"])), None)
        if release is None:
            return 404, {"message": "Not Found"}
        asset = {"id": next(self._ids), "name": req.query["name"], "size": len(req.body)}
        release["assets"].append(asset)
        self.asset_data[asset["id"]] = req.body
        return 201, asset

    def _environment(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        env = self.environments.get(urllib.parse.unquote(m["name"]))
        return (200, env) if env else (404, {"message": "Not Found"})

    def _add_status(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        status = {"sha": m["sha"], **req.body}
        self.statuses.append(status)
        return 201, status

    def _approvals(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self.approvals.get(int(m["id"]), [])

    def _tree(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        tree = self.trees.get(m["sha"])
        return (
            (200, {"sha": m["sha"], "tree": tree, "truncated": False})
            if tree is not None
            else (404, {"message": "Not Found"})
        )

    def _blob(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        import base64

        data = self.blobs.get(m["sha"])
        if data is None:
            return 404, {"message": "Not Found"}
        return 200, {
            "sha": m["sha"],
            "encoding": "base64",
            "content": base64.b64encode(data).decode(),
        }

    def _commit_pulls(self, req: Request, m: re.Match[str]) -> tuple[int, Any]:
        sha = m["sha"]
        return 200, [
            p for p in self.pulls.values() if sha in (p["head"]["sha"], p.get("merge_commit_sha"))
        ]

    ROUTES: tuple[tuple[str, str, Handler], ...] = (
        ("GET", r"/pulls/(?P<n>\d+)$", _pull),
        ("GET", r"/issues/(?P<n>\d+)/comments$", _list_comments),
        ("POST", r"/issues/(?P<n>\d+)/comments$", _add_comment),
        ("PATCH", r"/issues/comments/(?P<id>\d+)$", _edit_comment),
        ("GET", r"/issues$", _list_issues),
        ("POST", r"/issues$", _add_issue),
        ("PATCH", r"/issues/(?P<n>\d+)$", _edit_issue),
        ("GET", r"/releases/tags/(?P<tag>[^/]+)$", _release_by_tag),
        ("GET", r"/releases$", _list_releases),
        ("POST", r"/releases$", _add_release),
        ("GET", r"/environments/(?P<name>[^/]+)$", _environment),
        ("POST", r"/statuses/(?P<sha>[0-9a-f]{40})$", _add_status),
        ("GET", r"/commits/(?P<sha>[0-9a-f]{40})/pulls$", _commit_pulls),
        ("GET", r"/actions/runs/(?P<id>\d+)/approvals$", _approvals),
        ("GET", r"/git/trees/(?P<sha>[0-9a-f]{40})$", _tree),
        ("GET", r"/git/blobs/(?P<sha>[0-9a-f]{40})$", _blob),
    )

    def handle(
        self, method: str, raw_path: str, headers: Any, body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        split = urllib.parse.urlsplit(raw_path)
        query = dict(urllib.parse.parse_qsl(split.query))
        upload = re.fullmatch(
            rf"/uploads/repos/{re.escape(self.repo)}/releases/(?P<id>\d+)/assets", split.path
        )
        decoded: Any = body if upload else (json.loads(body) if body else None)
        with self._lock:
            self.requests.append(Request(method, split.path, query, decoded))
            if headers.get("Authorization") != f"Bearer {self.token}":
                return 401, {"message": "Bad credentials"}, {}
            if upload:
                status, data = self._upload(Request(method, split.path, query, decoded), upload)
                return status, data, {}
            prefix = f"/repos/{self.repo}"
            if not split.path.startswith(prefix):
                return 404, {"message": "Not Found"}, {}
            rest = split.path[len(prefix) :]
            for verb, pattern, handler in self.ROUTES:
                found = re.fullmatch(pattern.rstrip("$"), rest)
                if verb == method and found:
                    status, data = handler(self, Request(method, split.path, query, decoded), found)
                    if method == "GET" and isinstance(data, list):
                        return self._page(split.path, query, data)
                    return status, data, {}
        return 404, {"message": f"no route for {method} {split.path}"}, {}

    def _page(
        self, path: str, query: dict[str, str], items: list[Any]
    ) -> tuple[int, Any, dict[str, str]]:
        """GitHub's pagination: 30 per page unless `per_page` (at most 100) says otherwise."""
        size = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(items):
            nxt = urllib.parse.urlencode({**query, "page": page + 1})
            headers["Link"] = f'<{self.url}{path}?{nxt}>; rel="next"'
        return 200, chunk, headers


@contextmanager
def serve(double: GitHubDouble) -> Iterator[GitHubDouble]:
    """Run `double` on a free port of 127.0.0.1 for the duration of the block."""

    class _Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, data, headers = double.handle(
                self.command, self.path, self.headers, self.rfile.read(length)
            )
            payload = b"" if data is None else json.dumps(data, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    double.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
