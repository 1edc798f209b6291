"""reductions.py: which lines a claim act reduces, where, and by how much (billing.md §8)."""
from datetime import date

from app.billing import Building, ClaimAct, NetworkNode, Service
from app.billing.reductions import ClaimActs, reducible

from .town import D, june

BUILDINGS = [Building(1, "B1", network_node_id=20), Building(2, "B2", network_node_id=21), Building(3, "B3")]
NODES = [NetworkNode(10), NetworkNode(20, parent_id=10), NetworkNode(21, parent_id=99), NetworkNode(99)]


def test_act_on_a_node_covers_every_building_downstream():
    acts = ClaimActs([ClaimAct(1, 7, june(1), june(10), network_node_ids=[10])], BUILDINGS, NODES)
    assert acts.reduction(7, 5, 1, june(5))[0] == 1          # boiler 10 → heat point 20 → B1
    assert acts.reduction(7, 5, 2, june(5))[0] == 0          # B2 hangs off another boiler
    assert acts.reduction(7, 5, 1, june(11))[0] == 0         # after the act
    assert acts.reduction(8, 5, 1, june(5))[0] == 0          # another service


def test_act_on_accounts_and_the_largest_reduction_wins():
    acts = ClaimActs([ClaimAct(1, 7, june(1), june(30), "poor_quality", 20, building_ids=[3]),
                      ClaimAct(2, 7, june(10), june(12), "poor_quality", 50, account_ids=[42])], BUILDINGS, NODES)
    assert acts.reduction(7, 42, 3, june(11)) == (D("0.5"), acts._acts[1])
    assert acts.reduction(7, 41, 3, june(11))[0] == D("0.2")
    assert acts.reduction(7, 42, 1, june(20))[0] == 0


def test_a_loop_in_the_scheme_does_not_hang():
    nodes = [NetworkNode(1, parent_id=2), NetworkNode(2, parent_id=1)]
    acts = ClaimActs([ClaimAct(1, 7, date(2024, 6, 1), date(2024, 6, 2), network_node_ids=[2])],
                     [Building(1, "B", network_node_id=1)], nodes)
    assert acts.reduction(7, 1, 1, june(1))[0] == 1


def test_what_is_reduced():
    fixed, area, persons = Service(1, "F", "fixed"), Service(2, "A", "area"), Service(3, "P", "persons")
    cold = Service(4, "CW", "metered", resource="cold_water")
    heat = Service(5, "H", "group", resource="heat")
    water_group = Service(6, "CWG", "group", resource="cold_water")
    assert all(reducible(s, None) for s in (fixed, area, persons))
    assert reducible(heat, "allocation")
    assert reducible(cold, "norm") and reducible(water_group, "norm")
    assert not any(reducible(cold, s) for s in ("actual", "estimated", "true_up", "imbalance"))
    assert not reducible(Service(7, "O", "one_off"), None)
