"""A small GitHub REST client (httpx): comments, issues, the pull requests of a commit, runs and artifacts.

Only what the action needs. The token goes in the ``Authorization`` header and nowhere else: errors
name the method and path, never a header, and httpx drops the header when an artifact download is
redirected to another host (GitHub answers ``/zip`` with a redirect to blob storage).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx

from engine.redaction import register, scrub

BOT_LOGIN = "github-actions[bot]"  # the author of what GITHUB_TOKEN writes (GET /user is refused for it)
MAX_PAGES = 20
MAX_ARTIFACT_BYTES = 64 * 1024 * 1024
MAX_MEMBER_BYTES = 32 * 1024 * 1024


class GitHubError(Exception):
    """A GitHub API call failed; the message names the call and GitHub's answer, never the token."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(scrub(message))
        self.status = status


class GitHub:
    """GitHub's REST API for one repository."""

    def __init__(self, api_url: str, repository: str, token: str, *, transport: httpx.BaseTransport | None = None,
                 timeout: float = 30.0) -> None:
        if not token:
            raise GitHubError("no GitHub token: pass `github-token` (the default is the workflow's GITHUB_TOKEN)")
        if repository.count("/") != 1:
            raise GitHubError(f"GITHUB_REPOSITORY must be owner/name, got {repository!r}")
        register(token)
        self.repo = f"/repos/{repository}"
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "portkey-gitops"}
        self._http = httpx.Client(base_url=api_url.rstrip("/"), headers=headers, timeout=timeout,
                                  transport=transport, follow_redirects=True)
        self._login: str | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ transport

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise GitHubError(f"GitHub {method} {path}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 400:
            raise GitHubError(f"GitHub {method} {path}: HTTP {response.status_code} {_message(response)}",
                              response.status_code)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._call(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise GitHubError(f"GitHub {method} {path}: the answer is not JSON") from None

    def _object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON object GitHub answers a write with (``{}`` if the answer is some other JSON value)."""
        body = self._json(method, path, **kwargs)
        return body if isinstance(body, dict) else {}

    def _pages(
        self, path: str, params: dict[str, Any] | None = None, key: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every object in a paginated list (following ``Link: rel="next"``), at most MAX_PAGES pages."""
        url: str | None = path
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._call("GET", url, params=query)
            try:
                body = response.json()
            except ValueError:
                raise GitHubError(f"GitHub GET {path}: the answer is not JSON") from None
            items = body.get(key, []) if key and isinstance(body, dict) else body
            yield from (item for item in items if isinstance(item, dict)) if isinstance(items, list) else []
            url = response.links.get("next", {}).get("url")
            query = None

    # ------------------------------------------------------------ who we are

    def login(self) -> str:
        """The login of the token's user; ``github-actions[bot]`` for GITHUB_TOKEN (GET /user refuses it)."""
        if self._login is None:
            try:
                user = self._json("GET", "/user")
                self._login = str(user.get("login") or BOT_LOGIN) if isinstance(user, dict) else BOT_LOGIN
            except GitHubError as exc:
                if exc.status not in (401, 403, 404):
                    raise
                self._login = BOT_LOGIN
        return self._login

    # ------------------------------------------------------------ comments

    def find_comment(self, number: int, marker: str) -> dict[str, Any] | None:
        """The pull request's comment that starts with ``marker`` and was written by this token's user."""
        login = self.login()
        for comment in self._pages(f"{self.repo}/issues/{number}/comments"):
            if _ours(comment, login) and str(comment.get("body") or "").startswith(marker):
                return comment
        return None

    def upsert_comment(self, number: int, marker: str, body: str) -> dict[str, Any]:
        """Update our comment that starts with ``marker``, or create it."""
        found = self.find_comment(number, marker)
        if found is not None:
            return self._object("PATCH", f"{self.repo}/issues/comments/{found['id']}", json={"body": body})
        return self._object("POST", f"{self.repo}/issues/{number}/comments", json={"body": body})

    # ------------------------------------------------------------ issues

    def find_issue(self, marker: str) -> dict[str, Any] | None:
        """Our open issue (not a pull request) whose body starts with ``marker``."""
        login = self.login()
        for issue in self._pages(f"{self.repo}/issues", {"state": "open"}):
            if "pull_request" in issue or not _ours(issue, login):
                continue
            if str(issue.get("body") or "").startswith(marker):
                return issue
        return None

    def create_issue(self, title: str, body: str) -> dict[str, Any]:
        return self._object("POST", f"{self.repo}/issues", json={"title": title, "body": body})

    def update_issue(self, number: int, **fields: Any) -> dict[str, Any]:
        return self._object("PATCH", f"{self.repo}/issues/{number}", json=fields)

    def comment_issue(self, number: int, body: str) -> dict[str, Any]:
        return self._object("POST", f"{self.repo}/issues/{number}/comments", json={"body": body})

    # ------------------------------------------------------------ merges, runs, artifacts

    def pulls_for_commit(self, sha: str) -> list[dict[str, Any]]:
        body = self._json("GET", f"{self.repo}/commits/{sha}/pulls")
        return [pr for pr in body if isinstance(pr, dict)] if isinstance(body, list) else []

    def successful_runs(self, head_sha: str) -> list[dict[str, Any]]:
        """Successful workflow runs for ``head_sha``, newest first."""
        runs = list(self._pages(f"{self.repo}/actions/runs", {"head_sha": head_sha, "status": "success"},
                                "workflow_runs"))
        runs = [run for run in runs if isinstance(run, dict) and run.get("conclusion", "success") == "success"]
        return sorted(runs, key=lambda run: (str(run.get("created_at") or ""), int(run.get("id") or 0)),
                      reverse=True)

    def run_artifact(self, run_id: int, name: str) -> dict[str, Any] | None:
        """The run's unexpired artifact called ``name``."""
        for artifact in self._pages(f"{self.repo}/actions/runs/{run_id}/artifacts", {"name": name}, "artifacts"):
            if isinstance(artifact, dict) and artifact.get("name") == name and not artifact.get("expired"):
                return artifact
        return None

    def download_file(self, artifact_id: int, member: str) -> bytes:
        """One file of an artifact's zip, read in memory (size-bounded; nothing is extracted to disk)."""
        response = self._call("GET", f"{self.repo}/actions/artifacts/{artifact_id}/zip")
        if len(response.content) > MAX_ARTIFACT_BYTES:
            raise GitHubError(f"artifact {artifact_id} is larger than {MAX_ARTIFACT_BYTES // 2**20} MiB")
        try:
            with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                info = next((i for i in archive.infolist() if i.filename.rsplit("/", 1)[-1] == member), None)
                if info is None:
                    raise GitHubError(f"artifact {artifact_id} has no {member}")
                if info.file_size > MAX_MEMBER_BYTES:
                    raise GitHubError(f"{member} in artifact {artifact_id} is too large")
                with archive.open(info) as handle:
                    return handle.read(MAX_MEMBER_BYTES + 1)[:MAX_MEMBER_BYTES]
        except zipfile.BadZipFile:
            raise GitHubError(f"artifact {artifact_id} is not a zip archive") from None


def _ours(item: dict[str, Any], login: str) -> bool:
    user = item.get("user")
    return isinstance(user, dict) and str(user.get("login") or "") == login


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:300] if message else ""
