"""Roles: their order, what each may do, and how a token narrows a stored membership."""

from __future__ import annotations

from uuid import uuid4

import pytest

from shared.domain.access import Principal, Role
from shared.services.access import effective_role

LOW_TO_HIGH = [Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER]


def _principal(*roles: Role) -> Principal:
    return Principal(user_id=uuid4(), tenant_id=uuid4(), roles=frozenset(roles))


def test_given_the_four_roles_when_sorted_by_rank_then_viewer_member_admin_owner():
    assert sorted(Role, key=lambda role: role.rank) == LOW_TO_HIGH


def test_given_a_mix_of_roles_when_asking_lowest_and_highest_then_the_extremes_are_returned():
    roles = [Role.ADMIN, Role.VIEWER, Role.OWNER, Role.MEMBER]
    assert Role.lowest(roles) is Role.VIEWER
    assert Role.highest(roles) is Role.OWNER


def test_given_one_role_when_asking_lowest_and_highest_then_that_role_is_both():
    assert Role.lowest([Role.ADMIN]) is Role.ADMIN
    assert Role.highest([Role.ADMIN]) is Role.ADMIN


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.VIEWER, False), (Role.MEMBER, True), (Role.ADMIN, True), (Role.OWNER, True)],
)
def test_given_a_role_when_asking_can_write_then_only_viewer_is_read_only(role, expected):
    assert role.can_write() is expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.VIEWER, False), (Role.MEMBER, False), (Role.ADMIN, True), (Role.OWNER, True)],
)
def test_given_a_role_when_asking_can_manage_members_then_only_admin_and_owner_may(role, expected):
    assert role.can_manage_members() is expected


def test_given_role_values_when_parsed_from_strings_then_they_round_trip():
    assert [Role(role.value) for role in Role] == list(Role)
    assert {role.value for role in Role} == {"owner", "admin", "member", "viewer"}


def test_given_a_token_without_roles_when_computing_the_effective_role_then_membership_decides():
    for stored in Role:
        assert effective_role(_principal(), stored) is stored


@pytest.mark.parametrize("stored", list(Role))
@pytest.mark.parametrize("token", list(Role))
def test_given_a_token_role_and_a_membership_when_combined_then_the_lower_one_wins(token, stored):
    expected = token if token.rank < stored.rank else stored
    assert effective_role(_principal(token), stored) is expected


def test_given_an_owner_token_when_the_membership_was_demoted_to_viewer_then_viewer_applies():
    assert effective_role(_principal(Role.OWNER), Role.VIEWER) is Role.VIEWER


def test_given_a_viewer_token_when_the_membership_is_owner_then_the_token_narrows_it():
    assert effective_role(_principal(Role.VIEWER), Role.OWNER) is Role.VIEWER


def test_given_a_token_with_several_roles_when_combined_then_its_highest_role_is_the_ceiling():
    principal = _principal(Role.VIEWER, Role.ADMIN)
    assert effective_role(principal, Role.OWNER) is Role.ADMIN
    assert effective_role(principal, Role.MEMBER) is Role.MEMBER


def test_given_a_token_role_when_combined_then_it_never_raises_the_stored_membership():
    for token in Role:
        for stored in Role:
            assert not effective_role(_principal(token), stored).rank > stored.rank
