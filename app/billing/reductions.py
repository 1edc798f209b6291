"""Claim acts (акти-претензії) and non-provision, billing.md §8.

An approved act covers buildings, every building downstream of a network node of the
communication scheme (котельня → тепловий пункт → будинок), or single accounts, for one
service and the days ``date_from … date_to``. ``not_provided`` reduces by 100 %,
``poor_quality`` by the act's percentage.

Reduced: charges by ``fixed``, ``area``, ``persons``, a ``norm`` volume, and ``group`` heat.
Not reduced: volumes measured by the flat's own meter (actual, estimated from its history,
trued up), water imbalance lines, ``one_off`` charges. Where several acts cover the same
day of a service, the largest reduction applies (reductions do not add up; at most 100 %).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Iterable

from .data import Building, ClaimAct, NetworkNode, Service
from .periods import covers

REDUCED_METHODS = ("fixed", "area", "persons")


def reducible(service: Service, source: str | None) -> bool:
    """May a claim act reduce a line of ``service`` whose volume came from ``source``?"""
    if service.method in REDUCED_METHODS:
        return True
    if service.method == "group" and service.resource == "heat":
        return True
    return service.method in ("metered", "group") and source == "norm"


class ClaimActs:
    def __init__(self, acts: Iterable[ClaimAct], buildings: Iterable[Building] = (),
                 nodes: Iterable[NetworkNode] = ()):
        parents = {n.id: n.parent_id for n in nodes}
        self._acts = sorted(acts, key=lambda a: a.id)
        self._buildings: dict[int, frozenset[int]] = {}
        building_nodes = {b.id: b.network_node_id for b in buildings}
        for act in self._acts:
            covered = set(act.building_ids)
            if act.network_node_ids:
                wanted = set(act.network_node_ids)
                for building_id, node_id in building_nodes.items():
                    if wanted & _upstream(node_id, parents):
                        covered.add(building_id)
            self._buildings[act.id] = frozenset(covered)

    def reduction(self, service_id: int, account_id: int, building_id: int, day: date) -> tuple[Decimal, ClaimAct | None]:
        """The reduction share (0…1) on ``day`` and the act that gives it."""
        best: tuple[Decimal, ClaimAct | None] = (Decimal(0), None)
        for act in self._acts:
            if act.service_id != service_id or not covers(act.date_from, act.date_to, day):
                continue
            if account_id in act.account_ids or building_id in self._buildings[act.id]:
                if act.reduction > best[0]:
                    best = (act.reduction, act)
        return best


def _upstream(node_id: int | None, parents: dict[int, int | None]) -> set[int]:
    """The node and every node above it (a loop in the scheme stops the walk)."""
    seen: set[int] = set()
    while node_id is not None and node_id not in seen:
        seen.add(node_id)
        node_id = parents.get(node_id)
    return seen
