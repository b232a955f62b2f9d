"""Where an item goes: ``recipients`` (a 2-D list of user ids, each inner list one
conversation) and/or ``threads`` (thread ids), validated strictly before anything is sent.

A user id may be given as ``"@username"``; names are resolved once each through a callable
(the client's ``user_id_for``) after every shape has been checked. ``resolve_each`` keeps a
conversation naming an unknown user as an ``Unresolved`` entry, so that the others can still
be reached; ``resolve_destinations`` raises instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_dm.client.checks import is_username, numeric_id, username
from airflow_provider_dm.client.errors import DirectError, InvalidInput

_FLAT_HINT = 'recipients must be a list of lists, e.g. [["123"]]; got a flat list'


@dataclass(frozen=True)
class Destination:
    """One conversation: an existing thread, or the set of users (besides the viewer) in it."""

    thread_id: str | None = None
    user_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.thread_id is None) == (not self.user_ids):
            raise ValueError("a Destination is either a thread_id or a non-empty user_ids")

    @property
    def is_group(self) -> bool:
        """True for a recipients list of more than one user."""
        return len(self.user_ids) > 1

    def __str__(self) -> str:
        if self.thread_id is not None:
            return f"thread:{self.thread_id}"
        return "users:" + ",".join(self.user_ids)

    @classmethod
    def parse(cls, text: str) -> Destination:
        """The inverse of ``str()``: ``"thread:123"`` or ``"users:1,2"``."""
        kind, _, rest = text.partition(":")
        if kind == "thread":
            return cls(thread_id=numeric_id(rest, "destination"))
        if kind == "users" and rest:
            return cls(user_ids=tuple(numeric_id(u, "destination") for u in rest.split(",")))
        raise InvalidInput("destination", f"expected 'thread:ID' or 'users:ID,...', got {text!r}")


@dataclass(frozen=True)
class Unresolved:
    """A conversation of ``recipients`` (``field``: ``recipients[i]``) that names a user the
    service does not know; retrying cannot help."""

    field: str
    refs: tuple[str, ...]
    error: DirectError

    def __str__(self) -> str:
        return "users:" + ",".join(self.refs)

    @property
    def message(self) -> str:
        """The failure, naming the field: ``recipients[1]: no user named ghost (...)``."""
        return f"{self.field}: {self.error}"


def _user_ref(value: Any, name: str) -> str:
    """A numeric user id, or ``@name`` kept (as ``@name``) for later resolution."""
    if is_username(value):
        return "@" + username(value, name)
    return numeric_id(value, name)


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _check_recipients(recipients: Any) -> list[tuple[str, ...]]:
    if recipients is None:
        return []
    if isinstance(recipients, (str, bytes, int)):
        raise InvalidInput("recipients", 'must be a list of lists, e.g. [["123"]]; got a single id')
    if not _is_list(recipients):
        raise InvalidInput(
            "recipients", f"must be a list of lists, got {type(recipients).__name__}"
        )
    if any(not _is_list(group) for group in recipients):
        raise InvalidInput("recipients", _FLAT_HINT)
    groups: list[tuple[str, ...]] = []
    for index, group in enumerate(recipients):
        name = f"recipients[{index}]"
        if not group:
            raise InvalidInput(name, "is an empty conversation; give at least one user id")
        refs = tuple(_user_ref(value, name) for value in group)
        if len(set(refs)) != len(refs):
            raise InvalidInput(name, "names the same user twice")
        groups.append(refs)
    return groups


def _check_threads(threads: Any) -> list[str]:
    if threads is None:
        return []
    if isinstance(threads, (str, bytes, int)):
        raise InvalidInput("threads", 'must be a list of thread ids, e.g. ["340282..."]')
    if not _is_list(threads):
        raise InvalidInput("threads", f"must be a list of thread ids, got {type(threads).__name__}")
    if any(_is_list(value) for value in threads):
        raise InvalidInput("threads", "must be a flat list of thread ids, not a list of lists")
    return [numeric_id(value, f"threads[{index}]") for index, value in enumerate(threads)]


def check_destinations(recipients: Any = None, threads: Any = None) -> None:
    """Validate the shapes only (no network): raises ``InvalidInput`` naming the field."""
    groups = _check_recipients(recipients)
    thread_ids = _check_threads(threads)
    if not groups and not thread_ids:
        raise InvalidInput("recipients", "no destination: give recipients and/or threads")
    if len(set(thread_ids)) != len(thread_ids):
        raise InvalidInput("threads", "names the same thread twice")


def resolve_destinations(
    recipients: Any = None,
    threads: Any = None,
    *,
    user_id_for: Callable[[str], Any] | None = None,
) -> list[Destination]:
    """Validate, resolve each distinct ``@name`` once, and return one ``Destination`` per
    conversation (recipients first, then threads, in the order given); an unknown name
    raises the resolver's error."""
    entries = resolve_each(recipients, threads, user_id_for=user_id_for)
    for entry in entries:
        if isinstance(entry, Unresolved):
            raise entry.error
    return [entry for entry in entries if isinstance(entry, Destination)]


def resolve_each(
    recipients: Any = None,
    threads: Any = None,
    *,
    user_id_for: Callable[[str], Any] | None = None,
) -> list[Destination | Unresolved]:
    """Like ``resolve_destinations``, but a conversation naming a user the resolver does not
    know (a non-retryable ``DirectError``) becomes an ``Unresolved`` entry in its place."""
    check_destinations(recipients, threads)
    groups = _check_recipients(recipients)
    names = {ref for group in groups for ref in group if ref.startswith("@")}
    if names and user_id_for is None:
        raise InvalidInput("recipients", "@usernames need a resolver (the client's user_id_for)")
    resolved: dict[str, str] = {}
    unknown: dict[str, DirectError] = {}
    for name in sorted(names):
        try:
            resolved[name] = numeric_id(user_id_for(name[1:]), "recipients")  # type: ignore[misc]
        except DirectError as exc:
            if exc.retryable or exc.account_action or isinstance(exc, InvalidInput):
                raise
            unknown[name] = exc
    entries: list[Destination | Unresolved] = []
    seen: set[frozenset[str]] = set()
    for index, group in enumerate(groups):
        field = f"recipients[{index}]"
        missing = next((ref for ref in group if ref in unknown), None)
        if missing is not None:
            entries.append(Unresolved(field, group, unknown[missing]))
            continue
        user_ids = tuple(resolved.get(ref, ref) for ref in group)
        if len(set(user_ids)) != len(user_ids):
            raise InvalidInput(field, "names the same user twice")
        if frozenset(user_ids) in seen:
            raise InvalidInput(field, "repeats an earlier conversation")
        seen.add(frozenset(user_ids))
        entries.append(Destination(user_ids=user_ids))
    entries.extend(Destination(thread_id=tid) for tid in _check_threads(threads))
    return entries
