"""The GitHub client on answers GitHub should not give: odd items are skipped, never a traceback."""

from __future__ import annotations

import json

import httpx

from engine.ci.github import BOT_LOGIN, GitHub

MARKER = "<!-- portkey-gitops plan -->"


def _client(comments: list[object], write_answer: object = None) -> GitHub:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/user":
            return httpx.Response(403, json={"message": "Resource not accessible by integration"})
        if request.method == "GET" and request.url.path.endswith("/comments"):
            return httpx.Response(200, json=comments)
        return httpx.Response(201, content=json.dumps(write_answer).encode())

    return GitHub("https://api.github.test", "owner/repo", "ghp_test_token", transport=httpx.MockTransport(handler))


def test_comments_with_odd_authors_are_skipped_and_ours_is_found() -> None:
    ours = {"id": 3, "body": f"{MARKER}\nplan", "user": {"login": BOT_LOGIN}}
    comments: list[object] = [
        "not an object",
        {"id": 1, "body": f"{MARKER}\nforged", "user": "github-actions[bot]"},
        {"id": 2, "body": f"{MARKER}\nno author", "user": None},
        ours,
    ]
    with _client(comments) as gh:
        assert gh.find_comment(7, MARKER) == ours


def test_a_write_answered_with_something_other_than_an_object_gives_an_empty_object() -> None:
    with _client([], write_answer=["unexpected"]) as gh:
        assert gh.upsert_comment(7, MARKER, f"{MARKER}\nbody") == {}
    with _client([], write_answer={"id": 9, "html_url": "https://github.test/c/9"}) as gh:
        assert gh.create_issue("Drift", "body")["id"] == 9
