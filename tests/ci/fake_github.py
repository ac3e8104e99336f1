"""A fake GitHub REST API on loopback (Starlette + uvicorn) for the action's tests.

It serves the endpoints the action calls and records every request (method, path, query, JSON body,
whether a token was sent) so a test can assert what GitHub saw. State is plain dictionaries a test can
seed: comments and issues, the pull requests of a commit, workflow runs and their artifacts (zips).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.serve import serve_app_in_thread

BOT = "github-actions[bot]"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str


@dataclass
class FakeGitHub:
    """State and request log of the fake API."""

    users: dict[str, str] = field(default_factory=dict)  # token -> login (others get 403 like GITHUB_TOKEN)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> comment (with issue_number)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> issue
    pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # commit sha -> pull requests
    runs: list[dict[str, Any]] = field(default_factory=list)
    artifacts: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> artifact (with run_id, zip)
    seen: list[Seen] = field(default_factory=list)
    read_only: bool = False  # a token without write permission (fork pull requests, missing permissions:)
    portkey_status: int = 401  # answer to anything under /portkey (a Portkey that refuses the key)
    _next: int = 1000

    def new_id(self) -> int:
        self._next += 1
        return self._next

    # ---------------------------------------------------------------- seeding

    def add_comment(self, number: int, body: str, login: str) -> dict[str, Any]:
        comment = {"id": self.new_id(), "issue_number": number, "body": body, "user": {"login": login}}
        self.comments[comment["id"]] = comment
        return comment

    def add_artifact(self, head_sha: str, name: str, files: dict[str, bytes], *, run_id: int | None = None,
                     conclusion: str = "success") -> int:
        run_id = run_id or self.new_id()
        self.runs.append({"id": run_id, "head_sha": head_sha, "status": "completed", "conclusion": conclusion,
                          "created_at": f"2025-01-01T00:00:{len(self.runs):02d}Z"})
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for member, data in files.items():
                archive.writestr(member, data)
        artifact_id = self.new_id()
        self.artifacts[artifact_id] = {"id": artifact_id, "name": name, "run_id": run_id, "expired": False,
                                       "zip": buffer.getvalue()}
        return run_id

    # ---------------------------------------------------------------- views

    def requests(self, method: str | None = None, contains: str = "") -> list[Seen]:
        return [s for s in self.seen if (method is None or s.method == method) and contains in s.path]

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue_number"] == number]

    # ---------------------------------------------------------------- app

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/user", self._user),
            Route("/repos/{owner}/{repo}/issues/{number:int}/comments", self._issue_comments, methods=["GET", "POST"]),
            Route("/repos/{owner}/{repo}/issues/comments/{id:int}", self._comment, methods=["PATCH"]),
            Route("/repos/{owner}/{repo}/issues", self._issues, methods=["GET", "POST"]),
            Route("/repos/{owner}/{repo}/issues/{number:int}", self._issue, methods=["PATCH"]),
            Route("/repos/{owner}/{repo}/commits/{sha}/pulls", self._commit_pulls),
            Route("/repos/{owner}/{repo}/actions/runs", self._runs),
            Route("/repos/{owner}/{repo}/actions/runs/{id:int}/artifacts", self._run_artifacts),
            Route("/repos/{owner}/{repo}/actions/artifacts/{id:int}/zip", self._zip),
            Route("/blob/{id:int}", self._blob),
            Route("/portkey/{rest:path}", self._portkey, methods=["GET", "POST", "PUT", "DELETE"]),
        ])

    async def _record(self, request: Request) -> Any:
        raw = await request.body()
        body: Any = None
        if raw:
            try:
                body = await request.json()
            except ValueError:
                body = raw.decode(errors="replace")
        self.seen.append(Seen(request.method, request.url.path, dict(request.query_params), body,
                              request.headers.get("authorization", "") or request.headers.get("x-portkey-api-key", "")))
        return body

    def _login(self, request: Request) -> str:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        return self.users.get(token, BOT)

    def _page(self, request: Request, items: list[Any], key: str | None = None) -> Response:
        per_page = int(request.query_params.get("per_page", 30))
        page = int(request.query_params.get("page", 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            query = dict(request.query_params, page=str(page + 1), per_page=str(per_page))
            url = request.url.replace_query_params(**query)
            headers["link"] = f'<{url}>; rel="next"'
        body: Any = {"total_count": len(items), key: chunk} if key else chunk
        return JSONResponse(body, headers=headers)

    async def _user(self, request: Request) -> Response:
        await self._record(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token in self.users:
            return JSONResponse({"login": self.users[token]})
        return JSONResponse({"message": "Resource not accessible by integration"}, status_code=403)

    async def _issue_comments(self, request: Request) -> Response:
        body = await self._record(request)
        number = request.path_params["number"]
        if request.method == "POST" and self.read_only:
            return JSONResponse({"message": "Resource not accessible by integration"}, status_code=403)
        if request.method == "POST":
            comment = self.add_comment(number, body["body"], self._login(request))
            return JSONResponse(comment, status_code=201)
        return self._page(request, sorted(self.comments_on(number), key=lambda c: c["id"]))

    async def _comment(self, request: Request) -> Response:
        body = await self._record(request)
        comment = self.comments.get(request.path_params["id"])
        if comment is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        if comment["user"]["login"] != self._login(request):
            return JSONResponse({"message": "Must have admin rights to Repository."}, status_code=403)
        comment["body"] = body["body"]
        return JSONResponse(comment)

    async def _issues(self, request: Request) -> Response:
        body = await self._record(request)
        if request.method == "POST":
            number = self.new_id()
            issue = {"number": number, "title": body["title"], "body": body["body"], "state": "open",
                     "user": {"login": self._login(request)}}
            self.issues[number] = issue
            return JSONResponse(issue, status_code=201)
        state = request.query_params.get("state", "open")
        listed = [i for i in self.issues.values() if state == "all" or i["state"] == state]
        return self._page(request, listed)

    async def _issue(self, request: Request) -> Response:
        body = await self._record(request)
        issue = self.issues.get(request.path_params["number"])
        if issue is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        issue.update(body)
        return JSONResponse(issue)

    async def _commit_pulls(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse(self.pulls.get(request.path_params["sha"], []))

    async def _runs(self, request: Request) -> Response:
        await self._record(request)
        sha, status = request.query_params.get("head_sha"), request.query_params.get("status")
        runs = [r for r in self.runs if (not sha or r["head_sha"] == sha)
                and (not status or r["conclusion"] == status or r["status"] == status)]
        return self._page(request, runs, "workflow_runs")

    async def _run_artifacts(self, request: Request) -> Response:
        await self._record(request)
        name = request.query_params.get("name")
        found = [{k: v for k, v in a.items() if k != "zip"} for a in self.artifacts.values()
                 if a["run_id"] == request.path_params["id"] and (not name or a["name"] == name)]
        return self._page(request, found, "artifacts")

    async def _zip(self, request: Request) -> Response:
        await self._record(request)
        if request.path_params["id"] not in self.artifacts:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return RedirectResponse(f"/blob/{request.path_params['id']}", status_code=302)

    async def _blob(self, request: Request) -> Response:
        await self._record(request)
        return Response(self.artifacts[request.path_params["id"]]["zip"], media_type="application/zip")

    async def _portkey(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse({"error": {"message": "invalid api key"}}, status_code=self.portkey_status)


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[str]:
    """Serve ``fake`` on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    with serve_app_in_thread(fake.app(), name="fake GitHub") as base:
        yield base
