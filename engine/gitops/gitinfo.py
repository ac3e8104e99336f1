"""What git knows about a project directory (through GitPython): its commit, branch and dirty flag,
the files changed since a ref, and the files git sees as renamed.

Every function works on the repository that contains the project root (searching parent
directories); paths handed back are relative to the project root, with forward slashes, and paths
outside it are left out. Outside a git repository :func:`source` answers nulls and the others raise
:class:`GitError` with one sentence that says what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

RUN_VARIABLES = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")


class GitError(ValueError):
    """Git cannot answer what was asked (no repository, unknown ref)."""


def _repo(root: Path) -> Any:
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError("the project is not inside a git repository; run it from a clone") from None


def source(root: Path) -> dict[str, Any]:
    """The commit sha, branch (None when detached) and dirty flag of the project; nulls outside git."""
    try:
        repo = _repo(root)
        sha = repo.head.commit.hexsha
        dirty = repo.is_dirty(untracked_files=True, path=str(root))
    except Exception:  # not a repository, no commits yet, git missing
        return {"git_sha": None, "branch": None, "dirty": None}
    try:
        branch = repo.active_branch.name
    except Exception:  # detached HEAD (CI checks out a commit)
        branch = None
    return {"git_sha": sha, "branch": branch, "dirty": dirty}


def run_url(environ: Mapping[str, str]) -> str | None:
    """The URL of the GitHub Actions run, when the runner's variables are all set."""
    server, repository, run_id = (environ.get(name, "").strip() for name in RUN_VARIABLES)
    if not (server and repository and run_id):
        return None
    return f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}"


def provenance(git: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """What applied versions record of where they came from: commit, CI run URL, dirty flag (when set)."""
    found = {"commit": git.get("git_sha"), "run_url": run_url(environ), "dirty": True if git.get("dirty") else None}
    return {key: value for key, value in found.items() if value}


def _base(repo: Any, ref: str) -> Any:
    if not ref or ref.startswith("-") or any(ch.isspace() or ord(ch) < 32 for ch in ref):
        raise GitError("--changed-since needs a git ref (a branch, tag or commit), e.g. origin/main")
    try:
        return repo.commit(ref)
    except Exception:
        shown = "".join(ch if ch.isalnum() or ch in "/._-~^" else "?" for ch in ref)[:80]
        raise GitError(f"git does not know the ref {shown!r}; fetch it (CI: fetch-depth: 0) or name another") from None


def _relative(repo: Any, root: Path) -> PurePosixPath | None:
    """The project root relative to the repository's top directory."""
    try:
        return PurePosixPath(Path(root).resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix())
    except ValueError:
        return None


def _inside(path: str | None, prefix: PurePosixPath) -> str | None:
    if path is None:
        return None
    posix = PurePosixPath(path)
    if str(prefix) in ("", "."):
        return posix.as_posix()
    try:
        return posix.relative_to(prefix).as_posix()
    except ValueError:
        return None


def _diff(root: Path, ref: str) -> tuple[Any, PurePosixPath, list[Any]]:
    repo = _repo(root)
    prefix = _relative(repo, root)
    if prefix is None:
        raise GitError("the project directory is outside its git repository's working tree")
    try:
        base = _base(repo, ref)
        return repo, prefix, list(base.diff(None))  # the commit against the working tree, with rename detection
    except GitError:
        raise
    except Exception:
        raise GitError("git could not compare the working tree with that ref; check the clone") from None


def changed_files(root: Path, ref: str) -> set[str]:
    """Project files added, changed, deleted or renamed (both names) since ``ref``, untracked ones included."""
    repo, prefix, diffs = _diff(root, ref)
    names = {_inside(d.a_path, prefix) for d in diffs} | {_inside(d.b_path, prefix) for d in diffs}
    names |= {_inside(path, prefix) for path in repo.untracked_files}
    return {name for name in names if name}


def renames(root: Path, ref: str = "HEAD") -> list[tuple[str, str]]:
    """Files git sees as renamed between ``ref`` and the working tree: (old, new), both inside the project."""
    _, prefix, diffs = _diff(root, ref)
    found = []
    for d in diffs:
        if d.renamed_file:
            old, new = _inside(d.rename_from, prefix), _inside(d.rename_to, prefix)
            if old and new:
                found.append((old, new))
    return sorted(found)
