"""Destinations: strict shapes for recipients and threads, usernames resolved once each."""

from __future__ import annotations

import pytest

from airflow_provider_dm.client.client_context import (
    HIGHEST,
    LOWEST,
    derive_client_context,
    new_client_context,
)
from airflow_provider_dm.client.destinations import Destination, resolve_destinations
from airflow_provider_dm.client.errors import InvalidInput


def test_seed_example_shapes() -> None:
    found = resolve_destinations([["12345678"], ["23456789", "34567890"]], ["555"])
    assert [str(d) for d in found] == ["users:12345678", "users:23456789,34567890", "thread:555"]
    assert [d.is_group for d in found] == [False, True, False]
    assert Destination.parse("users:1,2") == found[1].__class__(user_ids=("1", "2"))
    assert Destination.parse(str(found[2])) == found[2]


def test_flat_recipients_say_so() -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_destinations(["123", "456"])
    assert caught.value.field == "recipients"
    assert 'recipients must be a list of lists, e.g. [["123"]]; got a flat list' in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("recipients", "threads", "field", "words"),
    [
        (None, None, "recipients", "no destination"),
        ([], [], "recipients", "no destination"),
        ("123", None, "recipients", "single id"),
        ([[]], None, "recipients[0]", "empty conversation"),
        ([["12x"]], None, "recipients[0]", "numeric id"),
        ([["1", "1"]], None, "recipients[0]", "same user twice"),
        ([["1", "2"], ["2", "1"]], None, "recipients[1]", "repeats"),
        ([["@not a name"]], None, "recipients[0]", "@username"),
        (None, "340282", "threads", "list of thread ids"),
        (None, [["340282"]], "threads", "not a list of lists"),
        (None, ["34x"], "threads[0]", "numeric id"),
        (None, ["1", "1"], "threads", "same thread twice"),
    ],
)
def test_bad_destinations_are_refused(recipients, threads, field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_destinations(recipients, threads, user_id_for=lambda name: "1")
    assert caught.value.field == field
    assert words in str(caught.value)


def test_usernames_are_resolved_once_each_after_shapes_are_checked() -> None:
    calls: list[str] = []

    def user_id_for(name: str) -> int:
        calls.append(name)
        return {"alice": 11, "bob": 22}[name]

    found = resolve_destinations([["@alice"], ["@alice", "@bob"], ["33"]], user_id_for=user_id_for)
    assert [str(d) for d in found] == ["users:11", "users:11,22", "users:33"]
    assert sorted(calls) == ["alice", "bob"]

    calls.clear()
    with pytest.raises(InvalidInput):
        resolve_destinations([["@alice"], "22"], user_id_for=user_id_for)
    assert calls == []


def test_a_username_that_duplicates_an_id_is_refused() -> None:
    with pytest.raises(InvalidInput, match="same user twice"):
        resolve_destinations([["@alice", "11"]], user_id_for=lambda name: 11)


def test_client_context_is_deterministic_and_in_range() -> None:
    first = derive_client_context("dag.task.run", "thread:1")
    assert first == derive_client_context("dag.task.run", "thread:1")
    assert first != derive_client_context("dag.task.run", "thread:2")
    assert derive_client_context("a", "bc") != derive_client_context("ab", "c")
    for token in [first, *(new_client_context() for _ in range(100))]:
        assert len(token) == 19
        assert LOWEST <= int(token) <= HIGHEST
