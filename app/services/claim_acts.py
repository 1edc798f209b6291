"""Акти-претензії: the life of a claim act (billing.md §8). An act is drafted, covers
buildings, network nodes or accounts (``ClaimActTarget``), and is approved by an accountant;
only approved acts reduce charges, so an approved act — and what it covers — is neither
edited nor deleted until its approval is withdrawn. What a saved act must satisfy is its
validator's (``app.validation.rules``); these are the steps of its life."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

DRAFT, APPROVED = "draft", "approved"


class ClaimActRefused(ValueError):
    """The act cannot be changed that way (message for the user)."""


def start_draft(act) -> None:
    """A new act is a draft, whatever the form said."""
    act.status = DRAFT


def refuse_delete(act) -> None:
    if act.status == APPROVED:
        raise ClaimActRefused(_("An approved claim act cannot be deleted. Withdraw the approval first."))


def refuse_coverage_change(target) -> None:
    """What an approved act covers does not change (add, edit or delete of a target)."""
    if target.act is not None and target.act.status == APPROVED:
        raise ClaimActRefused(_("The claim act is approved: its coverage cannot change. Withdraw the approval first."))


def approve(session, acts, user: str | None) -> tuple[int, list[str]]:
    """Approve the acts that cover something. Commits. Returns (approved, numbers of the
    acts left as drafts because they cover nothing)."""
    done, empty = 0, []
    for act in acts:
        if not act.targets:
            empty.append(act.number)
        elif act.status != APPROVED:
            act.status, act.approved_by, act.approved_at = APPROVED, user, datetime.now()
            done += 1
    session.commit()
    return done, empty


def withdraw(session, acts) -> int:
    """Back to drafts. Commits. Returns how many."""
    for act in acts:
        act.status, act.approved_by, act.approved_at = DRAFT, None, None
    session.commit()
    return len(acts)
