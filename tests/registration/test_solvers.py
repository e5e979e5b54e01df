"""Tests for the pure allocation solvers: no Django, no database.

Known small answers first, then property tests that check the solver against independent exact
references (networkx flows and brute-force enumeration) on random instances.
"""

from __future__ import annotations

import itertools
from collections import Counter

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.graph.python import min_cost_flow

from registration.solvers import (
    AllocationProblem,
    Placement,
    allocate,
    available_strategies,
    build_problem,
    get_strategy,
    register_strategy,
    solve,
)
from registration.solvers.min_cost_flow import (
    LOTTERY_TICKETS,
    CostLevel,
    MinCostFlowStrategy,
    build_network,
    cost_budget,
    plan_stages,
    residual_potentials,
)

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Budget just large enough for a lone lottery level, so every level gets its own pass.
STAGED = MinCostFlowStrategy(max_arc_cost=LOTTERY_TICKETS - 1)


# --- reference implementations -------------------------------------------------------------


def rank_sum_of(result) -> int:
    return sum(rank * count for rank, count in result.rank_profile.items())


def worst_first(profile: dict[int, int]) -> tuple[int, ...]:
    """Profile as a tuple from the worst rank to the best: generous minimises it."""
    return tuple(profile[rank] for rank in sorted(profile, reverse=True))


def balance_of(assignment: dict) -> int:
    """Sum over items of 0 + 1 + ... + (size - 1): the balance level the solver minimises."""
    return sum(size * (size - 1) // 2 for size in Counter(assignment.values()).values())


def brute_force_key(preferences, capacities, objective, *, force, balanced):
    """The lexicographically best (unassigned, forced, objective, balance) over all placements."""
    users = list(preferences)
    items = list(capacities)
    longest = max((len(ranked) for ranked in preferences.values()), default=0)
    options = [[None] + (items if force else list(preferences[user])) for user in users]
    best = None
    for choice in itertools.product(*options):
        taken = Counter(item for item in choice if item is not None)
        if any(capacities[item] is not None and n > capacities[item] for item, n in taken.items()):
            continue
        profile = dict.fromkeys(range(1, longest + 1), 0)
        forced = 0
        for user, item in zip(users, choice, strict=True):
            if item is None:
                continue
            if item in preferences[user]:
                profile[preferences[user].index(item) + 1] += 1
            else:
                forced += 1
        objective_key = (
            sum(rank * n for rank, n in profile.items())
            if objective == "rank_sum"
            else worst_first(profile)
        )
        assignment = {user: item for user, item in zip(users, choice, strict=True) if item}
        key = (
            choice.count(None),
            forced,
            objective_key,
            balance_of(assignment) if balanced else 0,
        )
        best = key if best is None or key < best else best
    return best


def result_key(result, objective, *, balanced):
    objective_key = (
        rank_sum_of(result) if objective == "rank_sum" else worst_first(result.rank_profile)
    )
    return (
        len(result.unassigned),
        len(result.forced),
        objective_key,
        balance_of(result.assignment) if balanced else 0,
    )


def networkx_max_cardinality(preferences, capacities) -> int:
    graph = nx.DiGraph()
    for user, ranked in preferences.items():
        graph.add_edge("source", ("user", user), capacity=1)
        for item in ranked:
            graph.add_edge(("user", user), ("item", item), capacity=1)
    for item, capacity in capacities.items():
        graph.add_edge(
            ("item", item), "sink", capacity=len(preferences) if capacity is None else capacity
        )
    if "source" not in graph:
        return 0
    return nx.maximum_flow_value(graph, "source", "sink")


def networkx_rank_sum_optimum(preferences, capacities) -> tuple[int, int]:
    """(assigned users, rank sum) of an exact network-simplex optimum, cardinality first."""
    user_count = len(preferences)
    longest = max((len(ranked) for ranked in preferences.values()), default=0)
    unassigned_cost = user_count * longest + 1  # more than any rank sum
    graph = nx.DiGraph()
    graph.add_node("sink", demand=user_count)
    graph.add_edge("unassigned", "sink", capacity=user_count, weight=0)
    for item, capacity in capacities.items():
        seats = user_count if capacity is None else capacity
        graph.add_edge(("item", item), "sink", capacity=seats, weight=0)
    for user, ranked in preferences.items():
        graph.add_node(("user", user), demand=-1)
        graph.add_edge(("user", user), "unassigned", capacity=1, weight=unassigned_cost)
        for rank, item in enumerate(ranked, start=1):
            graph.add_edge(("user", user), ("item", item), capacity=1, weight=rank)
    cost, flow = nx.network_simplex(graph)
    unassigned = flow["unassigned"]["sink"]
    return user_count - unassigned, cost - unassigned * unassigned_cost


@st.composite
def instances(draw, max_users=8, max_items=4, max_capacity=3):
    """Random preferences and capacities, including empty lists, capacity 0 and None."""
    items = [f"item-{index}" for index in range(draw(st.integers(1, max_items)))]
    capacities = {item: draw(st.one_of(st.integers(0, max_capacity), st.none())) for item in items}
    preferences = {
        user: draw(st.lists(st.sampled_from(items), unique=True, max_size=len(items)))
        for user in range(draw(st.integers(0, max_users)))
    }
    return preferences, capacities


def assert_valid(result, preferences, capacities, *, force=False):
    """Capacities hold, unforced users sit on ranked items, bookkeeping is consistent."""
    for item, size in Counter(result.assignment.values()).items():
        assert capacities[item] is None or size <= capacities[item]
    for user, item in result.assignment.items():
        if user in result.forced:
            assert force and item not in preferences[user] and result.ranks[user] is None
        else:
            assert result.ranks[user] == preferences[user].index(item) + 1
    assert set(result.assignment) | set(result.unassigned) == set(preferences)
    assert not set(result.assignment) & set(result.unassigned)
    assert sum(result.rank_profile.values()) == len(result.assignment) - len(result.forced)


# --- known answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_inflexible_student_gets_the_contested_seat(seed):
    preferences = {"flexible": ["A", "B"], "inflexible": ["A"]}
    assert solve(preferences, {"A": 1, "B": 1}, seed=seed) == {
        "flexible": "B",
        "inflexible": "A",
    }


def test_chain_of_displacements_places_everyone():
    preferences = {1: ["A"], 2: ["A", "B"], 3: ["B", "C"], 4: ["C", "D"]}
    capacities = dict.fromkeys("ABCD", 1)
    assert solve(preferences, capacities) == {1: "A", 2: "B", 3: "C", 4: "D"}


def test_full_item_leaves_the_surplus_unassigned_or_sends_it_on():
    result = allocate({1: ["A"], 2: ["A"], 3: ["A"]}, {"A": 2})
    assert len(result.assignment) == 2 and len(result.unassigned) == 1
    assert solve({1: ["A"], 2: ["A"], 3: ["A", "B"]}, {"A": 2, "B": 5}) == {
        1: "A",
        2: "A",
        3: "B",
    }


def test_capacity_zero_is_never_used():
    result = allocate({1: ["Z", "A"], 2: ["Z"]}, {"Z": 0, "A": 1})
    assert result.assignment == {1: "A"}
    assert result.ranks == {1: 2}
    assert result.unassigned == (2,)


def test_unlimited_capacity_takes_everyone():
    preferences = {user: ["A", "B"] for user in range(50)}
    assert solve(preferences, {"A": None, "B": 1}) == dict.fromkeys(range(50), "A")


def test_nobody_registered():
    assert solve({}, {"A": 3}) == {}
    assert solve({}, {}) == {}
    result = allocate({}, {"A": 3}, objective="generous", force_assignments=True, balanced=True)
    assert result.assignment == {} and result.rank_profile == {} and result.unassigned == ()


def test_user_with_empty_list_stays_unassigned_unless_forced():
    assert solve({1: [], 2: ["A"]}, {"A": 2}) == {2: "A"}
    result = allocate({1: [], 2: ["A"]}, {"A": 2}, force_assignments=True)
    assert result.assignment == {1: "A", 2: "A"}
    assert result.forced == frozenset({1}) and result.ranks == {1: None, 2: 1}


@pytest.mark.parametrize("seed", range(10))
def test_forced_user_goes_to_an_item_with_room_never_a_full_one(seed):
    preferences = {"a": ["A"], "b": ["A"], "c": ["C"], "d": []}
    capacities = {"A": 1, "B": 2, "C": 1, "Z": 0}
    result = allocate(preferences, capacities, force_assignments=True, seed=seed)
    assert result.assignment["c"] == "C"
    assert sorted(result.assignment[user] for user in ("a", "b")) == ["A", "B"]
    assert result.assignment["d"] == "B"
    assert len(result.forced) == 2 and "c" not in result.forced
    assert result.unassigned == ()


def test_forcing_never_displaces_a_ranked_user():
    # Forcing "x" into A would be a valid placement, but it would bump "y" off its only choice.
    preferences = {"x": ["B"], "y": ["A"]}
    result = allocate(preferences, {"A": 1, "B": 0}, force_assignments=True)
    assert result.assignment == {"y": "A"} and result.unassigned == ("x",)


def test_generous_avoids_the_worst_rank_that_rank_sum_accepts():
    preferences = {
        0: ["D", "A", "C", "B"],
        1: ["B", "D", "C", "A"],
        2: ["B", "D", "A", "C"],
        3: ["A", "C", "B", "D"],
    }
    capacities = dict.fromkeys("ABCD", 1)
    rank_sum = allocate(preferences, capacities)
    assert rank_sum.assignment == {0: "D", 1: "C", 2: "B", 3: "A"}
    assert rank_sum.rank_profile == {1: 3, 2: 0, 3: 1, 4: 0}
    for seed in range(5):
        for strategy in ("min_cost_flow", STAGED):
            generous = allocate(
                preferences, capacities, objective="generous", seed=seed, strategy=strategy
            )
            assert generous.rank_profile == {1: 1, 2: 3, 3: 0, 4: 0}
            assert generous.assignment in (
                {0: "A", 1: "B", 2: "D", 3: "C"},
                {0: "A", 1: "D", 2: "B", 3: "C"},
            )


@pytest.mark.parametrize("objective", ["rank_sum", "generous"])
def test_balanced_splits_users_evenly_between_items_at_the_same_rank(objective):
    # P holds 10 of 20 students; the other 10 end up at their second choice, A or B. Who gets P
    # is a coin toss, so without balancing A and B can come out 6/4; with it, always 5/5.
    preferences = {user: ["P", "A" if user < 10 else "B"] for user in range(20)}
    capacities = {"P": 10, "A": None, "B": None}
    uneven_seen = False
    for seed in range(20):
        plain = Counter(solve(preferences, capacities, objective=objective, seed=seed).values())
        uneven_seen |= plain["A"] != plain["B"]
        for strategy in ("min_cost_flow", STAGED):
            balanced = allocate(
                preferences,
                capacities,
                objective=objective,
                seed=seed,
                balanced=True,
                strategy=strategy,
            )
            assert Counter(balanced.assignment.values()) == {"P": 10, "A": 5, "B": 5}
            assert balanced.rank_profile == {1: 10, 2: 10}
    assert uneven_seen


def test_lottery_depends_on_the_seed_only():
    preferences = {user: ["A"] for user in range(10)}
    winners = {seed: frozenset(solve(preferences, {"A": 5}, seed=seed)) for seed in range(40)}
    assert all(len(chosen) == 5 for chosen in winners.values())
    assert len(set(winners.values())) > 10
    # Every user wins sometimes: the tie-break is a lottery, not the user order.
    assert set().union(*winners.values()) == set(range(10))
    reversed_order = dict(reversed(list(preferences.items())))
    assert frozenset(solve(reversed_order, {"A": 5}, seed=3)) == winners[3]


def test_allocation_result_reports_everything():
    preferences = {1: ["A", "B"], 2: ["A"], 3: ["A"], 4: []}
    result = allocate(preferences, {"A": 1, "B": 1, "C": 2}, seed=4, force_assignments=True)
    assert set(result.assignment) == {1, 2, 3, 4}
    assert result.forced == frozenset(user for user, rank in result.ranks.items() if rank is None)
    assert len(result.forced) == 2 and 4 in result.forced
    assert result.rank_profile[1] + result.rank_profile[2] == 2
    assert (result.objective, result.seed, result.strategy) == ("rank_sum", 4, "min_cost_flow")
    assert result.force_assignments and not result.balanced
    assert result.stages >= 1 and result.wall_time_seconds >= 0
    assert type(solve(preferences, {"A": 1, "B": 1})) is dict


def test_keys_of_mixed_types_and_numpy_capacities():
    preferences = {"x": [1, "one"], 2: ["one"]}
    capacities = {1: np.int64(1), "one": 1}
    assert solve(preferences, capacities) == {"x": 1, 2: "one"}


# --- invalid input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preferences", "capacities", "options", "message"),
    [
        ({1: ["A", "A"]}, {"A": 1}, {}, "more than once"),
        ({1: ["A", "B"]}, {"A": 1}, {}, "no capacity entry"),
        ({1: ["A"]}, {"A": -1}, {}, ">= 0"),
        ({1: ["A"]}, {"A": 1}, {"objective": "fastest"}, "Unknown objective"),
        ({1: ["A"]}, {"A": 1}, {"strategy": "cp_sat_someday"}, "Unknown solver strategy"),
        ({1: ["A"]}, {"A": 1}, {"seed": -1}, "seed"),
    ],
)
def test_invalid_input_raises_value_error(preferences, capacities, options, message):
    with pytest.raises(ValueError, match=message):
        solve(preferences, capacities, **options)


@pytest.mark.parametrize(
    ("preferences", "capacities"),
    [
        ({1: "AB"}, {"A": 1, "B": 1}),
        ({1: {"A"}}, {"A": 1}),
        ({1: ["A"]}, {"A": "3"}),
        ({1: ["A"]}, {"A": True}),
    ],
)
def test_wrong_types_raise_type_error(preferences, capacities):
    with pytest.raises(TypeError):
        solve(preferences, capacities)


def test_instance_too_large_for_the_cost_budget_raises_value_error():
    # Lottery tickets alone exceed a budget of 1, so no split into passes can help.
    with pytest.raises(ValueError, match="too large"):
        solve(
            {user: ["A"] for user in range(20)},
            {"A": 1},
            strategy=MinCostFlowStrategy(max_arc_cost=1),
        )
    with pytest.raises(ValueError, match="positive"):
        MinCostFlowStrategy(max_arc_cost=0)


# --- strategy registry -----------------------------------------------------------------------


class EveryoneToTheFirstItem:
    """A deliberately careless strategy: ignores capacities."""

    name = "careless-test-strategy"

    def place(self, problem: AllocationProblem) -> Placement:
        return Placement(
            assigned_items=tuple(ranked[0] if ranked else -1 for ranked in problem.ranked_items),
            forced_users=frozenset(),
        )


def test_registry_selects_strategies_and_rechecks_their_output():
    assert "min_cost_flow" in available_strategies()
    assert get_strategy("min_cost_flow") is get_strategy("min_cost_flow")
    careless = EveryoneToTheFirstItem()
    register_strategy(careless, replace=True)
    with pytest.raises(ValueError, match="already registered"):
        register_strategy(careless)
    impostor = type("Impostor", (), {"name": "min_cost_flow", "place": careless.place.__func__})
    with pytest.raises(ValueError, match="already registered"):
        register_strategy(impostor())
    assert solve({1: ["A"]}, {"A": 1}, strategy=careless.name) == {1: "A"}
    with pytest.raises(RuntimeError, match="overfilled"):
        solve({1: ["A"], 2: ["A"]}, {"A": 1}, strategy=careless.name)
    with pytest.raises(TypeError):
        register_strategy(object())


# --- internals -------------------------------------------------------------------------------


def level(name, max_cost, cycle_bound):
    return CostLevel(name, np.array([max_cost], dtype=np.int64), max_cost, cycle_bound)


def test_plan_stages_merges_while_the_weights_fit_and_splits_otherwise():
    levels = (level("top", 1, 10), level("middle", 5, 50), level("bottom", 9, 90))
    # bottom weight 1; middle 1 + 90 = 91; top 1 + 91 * 50 + 90 = 4641.
    (single,) = plan_stages(levels, budget=10**6)
    assert [(lv.name, weight) for lv, weight in single] == [
        ("top", 4641),
        ("middle", 91),
        ("bottom", 1),
    ]
    split = plan_stages(levels, budget=9 + 91 * 5)
    assert [[(lv.name, weight) for lv, weight in stage] for stage in split] == [
        [("top", 1)],
        [("middle", 91), ("bottom", 1)],
    ]
    assert len(plan_stages(levels, budget=9)) == 3
    with pytest.raises(ValueError, match="too large"):
        plan_stages(levels, budget=8)


def test_cost_budget_leaves_room_for_or_tools_scaling_and_prices():
    for nodes in (3, 10_203, 2_000_000):
        budget = cost_budget(nodes)
        assert 4 * budget * (nodes + 1) ** 2 <= 2**63 - 1
        assert budget <= (2**63 - 1) // (2 * (nodes + 1))


def test_default_benchmark_shape_fits_in_one_pass_and_generous_is_staged():
    rng = np.random.default_rng(0)
    preferences = {user: list(rng.choice(200, size=8, replace=False)) for user in range(10_000)}
    problem = build_problem(preferences, dict.fromkeys(range(200), 55))
    network = build_network(problem)
    budget = cost_budget(network.num_nodes)
    assert len(plan_stages(network.levels, budget)) == 1
    generous = build_network(
        build_problem(preferences, dict.fromkeys(range(200), 55), objective="generous")
    )
    assert len(plan_stages(generous.levels, budget)) == 2


@PROPERTY_SETTINGS
@given(st.integers(2, 12), st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_residual_potentials_certify_an_optimal_flow(nodes, arcs, seed):
    rng = np.random.default_rng(seed)
    tails = rng.integers(0, nodes, size=arcs).astype(np.int32)
    heads = rng.integers(0, nodes, size=arcs).astype(np.int32)
    capacities = rng.integers(0, 4, size=arcs).astype(np.int64)
    costs = rng.integers(-5, 20, size=arcs).astype(np.int64)
    solver = min_cost_flow.SimpleMinCostFlow()
    handles = solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    solver.set_nodes_supplies(np.arange(nodes, dtype=np.int32), np.zeros(nodes, dtype=np.int64))
    assert solver.solve() == solver.OPTIMAL
    flows = np.asarray(solver.flows(handles), dtype=np.int64)
    potentials = residual_potentials(nodes, tails, heads, capacities, costs, flows)
    reduced = costs + potentials[tails] - potentials[heads]
    assert np.all(reduced[flows < capacities] >= 0)
    assert np.all(reduced[flows > 0] <= 0)


def test_residual_potentials_reject_a_non_optimal_flow():
    # A zero-flow on a negative cycle is not optimal: Bellman-Ford must not converge.
    tails = np.array([0, 1], dtype=np.int32)
    heads = np.array([1, 0], dtype=np.int32)
    with pytest.raises(RuntimeError, match="negative cycle"):
        residual_potentials(
            2, tails, heads, np.ones(2, dtype=np.int64), np.array([-3, 1]), np.zeros(2)
        )


# --- properties ------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(instances(), st.sampled_from(["rank_sum", "generous"]), st.booleans(), st.booleans())
def test_capacities_hold_and_only_ranked_items_are_used(instance, objective, force, balanced):
    preferences, capacities = instance
    result = allocate(
        preferences, capacities, objective=objective, force_assignments=force, balanced=balanced
    )
    assert_valid(result, preferences, capacities, force=force)
    if not force:
        assert not result.forced


@PROPERTY_SETTINGS
@given(instances(max_users=12, max_items=5))
def test_cardinality_and_rank_sum_match_networkx(instance):
    preferences, capacities = instance
    result = allocate(preferences, capacities)
    assigned, rank_sum = networkx_rank_sum_optimum(preferences, capacities)
    assert len(result.assignment) == assigned == networkx_max_cardinality(preferences, capacities)
    assert rank_sum_of(result) == rank_sum
    staged = allocate(preferences, capacities, strategy=STAGED)
    assert (len(staged.assignment), rank_sum_of(staged)) == (assigned, rank_sum)


@PROPERTY_SETTINGS
@given(instances(max_users=12, max_items=5))
def test_forcing_fills_every_free_seat_without_losing_ranked_placements(instance):
    preferences, capacities = instance
    result = allocate(preferences, capacities, force_assignments=True)
    assert_valid(result, preferences, capacities, force=True)
    seats = sum(len(preferences) if c is None else c for c in capacities.values())
    assert len(result.assignment) == min(len(preferences), seats)
    ranked = len(result.assignment) - len(result.forced)
    assert ranked == networkx_max_cardinality(preferences, capacities)


@PROPERTY_SETTINGS
@given(instances(max_users=12, max_items=5))
def test_generous_is_never_worse_than_rank_sum_at_the_worst_ranks(instance):
    preferences, capacities = instance
    rank_sum = allocate(preferences, capacities)
    generous = allocate(preferences, capacities, objective="generous")
    assert len(generous.assignment) == len(rank_sum.assignment)
    assert worst_first(generous.rank_profile) <= worst_first(rank_sum.rank_profile)
    if rank_sum.rank_profile:
        worst = max(rank_sum.rank_profile)
        assert generous.rank_profile[worst] <= rank_sum.rank_profile[worst]
    assert rank_sum_of(rank_sum) <= rank_sum_of(generous)


@PROPERTY_SETTINGS
@given(
    instances(max_users=5, max_items=3, max_capacity=2),
    st.sampled_from(["rank_sum", "generous"]),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["min_cost_flow", STAGED]),
    st.integers(0, 3),
)
def test_lexicographic_optimum_matches_brute_force(
    instance, objective, force, balanced, strategy, seed
):
    preferences, capacities = instance
    result = allocate(
        preferences,
        capacities,
        objective=objective,
        force_assignments=force,
        balanced=balanced,
        strategy=strategy,
        seed=seed,
    )
    assert_valid(result, preferences, capacities, force=force)
    expected = brute_force_key(preferences, capacities, objective, force=force, balanced=balanced)
    assert result_key(result, objective, balanced=balanced) == expected


@PROPERTY_SETTINGS
@given(
    instances(max_users=10, max_items=4),
    st.sampled_from(["rank_sum", "generous"]),
    st.booleans(),
    st.integers(0, 2**31),
)
def test_same_seed_same_result_whatever_the_dict_order(instance, objective, force, seed):
    preferences, capacities = instance
    options = {"objective": objective, "force_assignments": force, "seed": seed}
    first = allocate(preferences, capacities, **options)
    again = allocate(
        dict(reversed(list(preferences.items()))),
        dict(reversed(list(capacities.items()))),
        **options,
    )
    assert again.assignment == first.assignment
    assert again.forced == first.forced


@PROPERTY_SETTINGS
@given(
    instances(max_users=12, max_items=5),
    st.sampled_from(["rank_sum", "generous"]),
    st.booleans(),
    st.integers(0, 50),
)
def test_balancing_never_changes_the_rank_objective(instance, objective, force, seed):
    preferences, capacities = instance
    options = {"objective": objective, "force_assignments": force, "seed": seed}
    plain = allocate(preferences, capacities, **options)
    balanced = allocate(preferences, capacities, balanced=True, **options)
    assert len(balanced.assignment) == len(plain.assignment)
    assert len(balanced.forced) == len(plain.forced)
    if objective == "generous":
        # The profile is the generous objective, so it is unique.
        assert balanced.rank_profile == plain.rank_profile
    else:
        # Equal rank sums can come from different profiles; the sum itself never moves.
        assert rank_sum_of(balanced) == rank_sum_of(plain)
    assert balance_of(balanced.assignment) <= balance_of(plain.assignment)
