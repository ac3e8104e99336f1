"""The shape every resource kind has: its files, client operations, comparable content and request bodies.

One subclass per kind lives in ``engine/gitops/kinds/<kind>.py``; :mod:`engine.gitops.kinds.registry`
holds one instance of each. Code outside this package asks the kind object rather than testing which
kind it holds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from engine.gitops.behaviour import DEFAULT, Behaviour
from engine.gitops.model import Resource, ResourceKind

if TYPE_CHECKING:
    from engine.gitops.live import LiveObject

Refs = Mapping[str, str]


@dataclass(frozen=True)
class Operations:
    """The client operations of one kind and the name of the argument that identifies an object."""

    get: str
    create: str
    update: str
    delete: str
    id_arg: str


@dataclass(frozen=True)
class Versions:
    """How a versioned kind makes a version and how its versions list names a version's id and number."""

    update: str
    answer_id: str  # the update answer's field holding the new version's id
    listing: str
    id_keys: tuple[str, ...]
    number_key: str
    publish: str  # the operation that makes a version the default


class Kind:
    """One resource kind. Class attributes say what is fixed; methods compute content and bodies."""

    kind: ClassVar[ResourceKind]
    directory: ClassVar[str]  # under the project root
    suffix: ClassVar[str]  # of its files
    operations: ClassVar[Operations]
    listing: ClassVar[str]  # the operation listing every object of the kind
    listing_query: ClassVar[dict[str, str]] = {}  # its fixed query
    searchable: ClassVar[bool] = False  # the listing filters by `search`
    versions: ClassVar[Versions | None] = None  # versioned kinds only
    versioned: ClassVar[bool] = False  # prompts and partials: versions and a publish step
    live_at_once: ClassVar[bool] = False  # every write is live for callers at once; apply writes them in phase two
    secret_bearing: ClassVar[bool] = False  # content may hold secrets
    addressed_by_slug: ClassVar[bool] = False  # the operation's id argument takes the slug
    referenced_by_slug: ClassVar[bool] = False  # other objects point at it by slug
    # Fields a file may leave out to keep whatever Portkey has (Portkey cannot unset them in place).
    kept_when_omitted: ClassVar[tuple[str, ...]] = ()
    # Fields Portkey cannot change in place: changing one replaces the object (limits) or is an error.
    immutable: ClassVar[tuple[str, ...]] = ()
    # Fields a PUT changes only when Portkey accepts them there (else they replace, as immutable ones).
    conditions_put: ClassVar[tuple[str, ...]] = ()
    # Why a change of an immutable field is an error rather than a replace (None: it replaces).
    replace_refused: ClassVar[str | None] = None
    # Our marker goes into the description, not the name (a label's name is its key): adopting or releasing
    # one rewrites the description and leaves the name.
    marked_in_description: ClassVar[bool] = False
    names_unique: ClassVar[bool] = False  # an unmanaged object of the same name blocks a create (labels)
    # Versions are released (``release:`` sets the default and labels, the account's behaviour limits both);
    # Portkey publishes a new object's version 1 at once.
    released: ClassVar[bool] = False
    # Versions carry our content stamp (hash in the version metadata), so drift is read from the stamp rather
    # than from the lock.
    stamped: ClassVar[bool] = False
    included: ClassVar[bool] = False  # other texts include it (``{{>key}}``): publishing it changes them
    update_names_changes: ClassVar[bool] = False  # an update body sends some fields only when they changed
    archived: ClassVar[bool] = False  # leaving the repository archives it rather than deleting it
    text_label: ClassVar[str] = "template"  # what a versioned kind's text is called in a diff

    def __repr__(self) -> str:
        return f"<kind {self.kind.value}>"

    def target_id(self, remote_id: str, slug: str | None) -> str:
        """What an operation's id argument takes."""
        return str(slug or remote_id) if self.addressed_by_slug else remote_id

    def reference(self, remote_id: str, slug: str | None) -> str:
        """How other objects point at this one."""
        return str(slug or remote_id) if self.referenced_by_slug else remote_id

    def desired(self, resource: Resource, refs: Refs) -> dict[str, Any]:
        """Comparable content of a desired resource."""
        raise NotImplementedError

    def live(self, obj: LiveObject, collection_keys: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Comparable content of a live object (the latest version for versioned kinds)."""
        raise NotImplementedError

    def create_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, workspace: str | None,
        default_collection: str | None,
    ) -> dict[str, Any]:
        """Body of the create request; ``spec`` has secrets resolved."""
        raise NotImplementedError

    def update_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, changed: Collection[str] = (),
    ) -> dict[str, Any]:
        """Body of an in-place update (everything that is not a new version)."""
        return {"name": name}

    def version_body(self, resource: Resource, spec: Mapping[str, Any], refs: Refs) -> dict[str, Any]:
        """Body of the update that makes a new version (versioned kinds only)."""
        raise NotImplementedError(f"{self.kind.value} has no versions")

    def created_refs(self, name: str, remote_id: str) -> dict[str, str]:
        """References beside its address that a newly created object answers to."""
        return {}

    def publish_wanted(self, spec: Mapping[str, Any]) -> bool:
        """Whether a new version of a versioned kind becomes the default (published)."""
        return bool(spec.get("publish", True))

    def settle(self, wanted: dict[str, Any], have: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """``wanted`` and ``have`` without what the API cannot change on an existing object, and a warning
        saying so (None when nothing was left out)."""
        return wanted, have, None

    def with_provenance(self, body: dict[str, Any], provenance: Mapping[str, Any]) -> dict[str, Any]:
        """A version body that also says which commit it came from; unversioned kinds leave it as it is."""
        return body

    def as_sent(self, resource: Resource, behaviour: Behaviour = DEFAULT) -> Resource:
        """The resource as apply will send it for this account (unchanged unless a kind says otherwise)."""
        return resource
