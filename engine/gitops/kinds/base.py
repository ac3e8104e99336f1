"""The shape every resource kind has: its files, client operations, comparable content and request bodies.

One subclass per kind lives in ``engine/gitops/kinds/<kind>.py``; :mod:`engine.gitops.kinds.registry`
holds one instance of each. Code outside this package asks the kind object rather than testing which
kind it holds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from engine.gitops.behaviour import DEFAULT, Behaviour
from engine.gitops.canonical import secret_paths
from engine.gitops.model import Resource, ResourceKind, address

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic import BaseModel

    from engine.gitops.export import Exporter
    from engine.gitops.live import LiveObject, LiveState, Reader
    from engine.gitops.loading.context import Context
    from engine.gitops.loading.project import Settings
    from engine.gitops.loading.records import Loaded
    from engine.gitops.loading.values import Rules
    from engine.gitops.loading.yamldoc import YamlDoc
    from engine.gitops.plan import Change, VersionTarget

Refs = Mapping[str, str]
META_KEY = "portkey_gitops"  # our stamp's key in a version's metadata


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


class ScratchRole(Enum):
    """The part a kind plays in ``portkey-gitops doctor``'s scratch space (one kind per role); the value says it."""

    HOLDER = "holds the scratch objects of the released kind; named exactly as the scratch space; deleted last"
    RELEASED = "the kind whose versions, publishing, labels, renames and listing most checks measure"
    VERSION_LABEL = "put on the released kind's versions (checks label_write and listing_stamp)"
    POLICY = "a policy whose conditions a PUT may change in place (check policy_conditions_put)"


class Planning(Protocol):
    """What the planner (engine.gitops.planner) lends a kind's planning hooks while it plans one resource."""

    @property
    def live(self) -> LiveState: ...

    @property
    def refs(self) -> Refs: ...

    def drift_entry(self, obj: LiveObject, address: str, detail: str) -> dict[str, Any]:
        """A drift entry about ``obj`` (with who changed it and when, where Portkey says), not recorded yet."""

    def add_drift(self, entry: dict[str, Any]) -> None:
        """Record a drift entry in the plan."""


class Kind:
    """One resource kind. Class attributes say what is fixed; methods compute content and bodies."""

    kind: ClassVar[ResourceKind]

    # ---- files
    directory: ClassVar[str]  # under the project root
    suffix: ClassVar[str]  # of its files
    file_model: ClassVar[type[BaseModel]]  # what a file (a partial: its front matter) is validated against
    front_matter: ClassVar[bool] = False  # a Markdown file whose YAML is front matter (partials)
    declares_variables: ClassVar[bool] = False  # a file declares ``variables``, checked against its text
    limit: ClassVar[bool] = False  # a policy: an environment overlay's ``limits:`` may change its values
    overridable: ClassVar[tuple[str, ...]] = ()  # the fields an overlay's ``limits:`` may change
    secret_bearing: ClassVar[bool] = False  # content may hold secrets

    # ---- Portkey's operations and reading
    operations: ClassVar[Operations]
    listing: ClassVar[str]  # the operation listing every object of the kind
    listing_query: ClassVar[Mapping[str, str]] = {}  # its fixed query
    searchable: ClassVar[bool] = False  # the listing filters by `search`
    versions: ClassVar[Versions | None] = None  # versioned kinds only
    always_read: ClassVar[bool] = False  # read with every kind (others refer to it)
    detailed: ClassVar[bool] = False  # a listing entry is not the whole object: marked ones are read too
    addressed_by_slug: ClassVar[bool] = False  # the operation's id argument takes the slug
    referenced_by_slug: ClassVar[bool] = False  # other objects point at it by slug
    # Our marker goes into the description, not the name (a label's name is its key): adopting or releasing
    # one rewrites the description and leaves the name.
    marked_in_description: ClassVar[bool] = False

    # ---- planning and applying
    versioned: ClassVar[bool] = False  # prompts and partials: versions and a publish step
    # Versions are released (``release:`` sets the default and labels, the account's behaviour limits both);
    # Portkey publishes a new object's version 1 at once.
    released: ClassVar[bool] = False
    # Versions carry our content stamp (hash in the version metadata), so drift is read from the stamp rather
    # than from the lock.
    stamped: ClassVar[bool] = False
    included: ClassVar[bool] = False  # other texts include it (``{{>key}}``): publishing it changes them
    # The parts a kind plays for the released kind, whose files name its objects (one kind plays each; code
    # outside this package reaches their addresses through engine.gitops.kinds.roles, never by the kind's name):
    labels_versions: ClassVar[bool] = False  # a release's ``labels`` are objects of this kind, named by name
    holds_released: ClassVar[bool] = False  # a released object's ``collection`` is one of these, named by key
    text_label: ClassVar[str] = "template"  # what a versioned kind's text is called in a diff
    live_at_once: ClassVar[bool] = False  # every write is live for callers at once; apply writes them in phase two
    names_unique: ClassVar[bool] = False  # an unmanaged object of the same name blocks a create (labels)
    # Fields a file may leave out to keep whatever Portkey has (Portkey cannot unset them in place).
    kept_when_omitted: ClassVar[tuple[str, ...]] = ()
    # Fields Portkey cannot change in place: changing one replaces the object (limits) or is an error.
    immutable: ClassVar[tuple[str, ...]] = ()
    # Fields a PUT changes only when Portkey accepts them there (else they replace, as immutable ones).
    conditions_put: ClassVar[tuple[str, ...]] = ()
    # Why a change of an immutable field is an error rather than a replace (None: it replaces).
    replace_refused: ClassVar[str | None] = None
    update_names_changes: ClassVar[bool] = False  # an update body sends some fields only when they changed
    archived: ClassVar[bool] = False  # leaving the repository archives it rather than deleting it

    # ---- the doctor
    scratch_role: ClassVar[ScratchRole | None] = None  # what the doctor makes of this kind (None: nothing)

    # ---- export
    nested: ClassVar[bool] = False  # an exported key nests under its parent's (collections)

    def __repr__(self) -> str:
        return f"<kind {self.kind.value}>"

    # ---- addresses

    def address_of(self, key: str) -> str:
        """The address of this kind's object ``key`` (``refs`` and ``Resource.refs`` are keyed by addresses)."""
        return address(self.kind, key)

    def key_in(self, target: str) -> str | None:
        """The key of ``target`` when it is an address of this kind; None when it is another kind's."""
        head, sep, key = target.partition(":")
        return key if sep and head == self.kind.value else None

    # ---- loading (engine.gitops.loading.kinds holds the steps every YAML file shares)

    def load(self, ctx: Context, settings: Settings, key: str, path: Path) -> Loaded | None:
        """Load one file of this kind; None when it has errors (already reported)."""
        from engine.gitops.loading.kinds import load_yaml_resource

        return load_yaml_resource(ctx, settings, self, key, path)

    def secret_rules(self) -> Rules | None:
        """Where ``${secret:…}`` may stand in a file (None: nowhere)."""
        return None

    def prepare(self, data: dict[str, Any], settings: Settings) -> None:
        """Fill a parsed file's mapping before substitution and validation (project defaults)."""

    def build(
        self, ctx: Context, settings: Settings, key: str, path: Path, doc: YamlDoc, parsed: BaseModel,
        secrets: set[str],
    ) -> Loaded | None:
        """The loaded resource of a validated file; ``secrets`` are the dotted paths of its secret references."""
        loaded = self.from_file(ctx, key, doc, parsed)
        if loaded is not None:
            loaded.resource.secrets = secrets
            loaded.resource.secret_names = settings.project.secrets
        return loaded

    def refused_by(self, resource: Resource, behaviour: Behaviour) -> str | None:
        """Why this account (its ``behaviour``) cannot hold ``resource`` and what to change; None when it can."""
        return None

    def match_live(self, wanted: dict[str, Any], have: dict[str, Any], live: LiveState) -> str | None:
        """Make ``have`` (live content) say what ``wanted`` says where both name the same thing differently;
        a warning when that is an assumption the plan should state."""
        return None

    def check_values(self, spec: Mapping[str, Any]) -> None:
        """Raise ValueError when ``spec``'s values do not go together (checked again after an overlay)."""

    def from_file(self, ctx: Context, key: str, doc: YamlDoc, parsed: BaseModel) -> Loaded | None:
        """The resource's spec and references from a validated file."""
        raise NotImplementedError

    # ---- planning and writing

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

    def masked_paths(self, declared: Collection[str], *values: Any) -> set[str]:
        """Paths to mask: the secrets the file declares plus, for kinds that may hold secrets, every
        secret-named field of ``values`` (what Portkey holds may sit where the file has none)."""
        paths = set(declared)
        if self.secret_bearing:
            for value in values:
                paths |= secret_paths(value)
        return paths

    # ---- planning steps of the kind's own (the planner calls them in this order; most kinds add nothing)

    def plan_created(self, planning: Planning, resource: Resource, change: Change) -> None:
        """Steps, reasons and risks a create of this kind adds to ``change`` beyond the create itself."""

    def plan_latest(
        self, planning: Planning, resource: Resource, obj: LiveObject, sent: dict[str, Any], wanted: dict[str, Any],
        have: dict[str, Any], change: Change,
    ) -> bool:
        """Before a versioned kind compares ``wanted`` with the latest version ``have``: steps of its own (and
        drift); True when the latest version settles the content, so no new version is planned. ``sent`` is the
        content as apply sends it, without secrets."""
        return False

    def plan_release(
        self, planning: Planning, resource: Resource, obj: LiveObject, change: Change,
        version: VersionTarget | int | None,
    ) -> None:
        """After a versioned kind's version and publish steps: what else releases ``version`` (the one this
        change makes, or the live latest one)."""

    def publish_wanted(self, spec: Mapping[str, Any]) -> bool:
        """Whether a new version of a versioned kind becomes the default (published)."""
        return bool(spec.get("publish", True))

    def settle(self, wanted: dict[str, Any], have: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """``wanted`` and ``have`` without what the API cannot change on an existing object, and a warning
        saying so (None when nothing was left out)."""
        return wanted, have, None

    def default_display(self, key: str) -> str:
        """The display name a resource has when its file sets none."""
        return key

    def virtual_keys(self, obj: LiveObject) -> set[str]:
        """The virtual keys a live object names (the reader maps ids to slugs only when one is an id)."""
        return set()

    async def read(self, reader: Reader, state: LiveState) -> tuple[list[LiveObject], bool]:
        """Every object of the kind in the workspace, and whether the listing was complete."""
        items, complete = await reader.listing(self.listing, **reader.ws(), **self.listing_query)
        objects = [reader.live_object(self.kind, item) for item in items]
        if not self.detailed:
            return objects, complete
        return await reader.with_details(objects, lambda obj: self.detail(reader, obj)), complete

    async def detail(self, reader: Reader, obj: LiveObject) -> None:
        """Fill in what the listing does not hold (``detailed`` kinds)."""

    def exported(self, obj: LiveObject) -> bool:
        """Whether export writes a file for ``obj``."""
        return True

    def exported_reference(self, key: str) -> str | None:
        """How exported files point at an object with this key (None: nothing points at it by slug or id)."""
        return None

    def export(self, exporter: Exporter, obj: LiveObject, key: str) -> None:
        """Add the file(s) of ``obj`` (exported as ``key``) to ``exporter``."""
        exporter.resource(self.kind, key, exporter.display(self.kind, obj, key))

    def with_provenance(self, body: dict[str, Any], provenance: Mapping[str, Any]) -> dict[str, Any]:
        """A version body that also says which commit it came from; unversioned kinds leave it as it is."""
        return body

    def as_sent(self, resource: Resource, behaviour: Behaviour = DEFAULT) -> Resource:
        """The resource as apply will send it for this account (unchanged unless a kind says otherwise)."""
        return resource
