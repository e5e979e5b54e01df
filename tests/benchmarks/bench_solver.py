"""Benchmark of the seat allocation solver; a script, never collected by pytest.

Run ``python tests/benchmarks/bench_solver.py`` (or with ``--quick`` for a smaller instance).
It times, as the median of a few repeats:

1. ``registration.solvers.solve`` with ``rank_sum`` (validation, key mapping, graph, decoding);
2. the bare OR-Tools solve of the same graph: numpy arrays built straight from a dense
   preference matrix plus ``SimpleMinCostFlow.solve``, with no key mapping or decoding;
3. networkx ``network_simplex`` on the same instance, once, as an independent reference;

plus ``generous`` and ``balanced`` runs, and prints the rank profiles and a summary line.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def make_instance(students: int, items: int, ranks: int, capacity: int, seed: int):
    """Dense instance with popularity skew: a few items are heavily oversubscribed."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, items + 1) ** 0.7
    rng.shuffle(popularity)
    # Gumbel top-k: sampling ``ranks`` distinct items per student, weighted by popularity.
    keys = np.log(popularity)[None, :] + rng.gumbel(size=(students, items))
    choice_matrix = np.argsort(-keys, axis=1)[:, :ranks].astype(np.int64)
    capacities = np.full(items, capacity, dtype=np.int64)
    return choice_matrix, capacities


def as_mappings(choice_matrix: np.ndarray, capacities: np.ndarray):
    """The same instance keyed like the application does: user ids to lists of item ids."""
    item_ids = [10_000 + index for index in range(capacities.size)]
    preferences = {
        user_id: [item_ids[item] for item in row]
        for user_id, row in enumerate(choice_matrix.tolist(), start=1)
    }
    return preferences, dict(zip(item_ids, capacities.tolist(), strict=True))


def median_time(function, repeats: int) -> tuple[float, object]:
    timings = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def bare_or_tools(choice_matrix, capacities, unassigned_weight, rank_weight, seed):
    """Build the rank_sum graph with numpy from dense indices and solve it; nothing else.

    Same nodes, arcs, order and costs as the library builds for this instance (users in
    ascending id order are already canonical), so the optimal cost must match.
    """
    from ortools.graph.python import min_cost_flow

    from registration.solvers.min_cost_flow import LOTTERY_TICKETS

    students, ranks = choice_matrix.shape
    items = capacities.size
    tickets = np.random.default_rng(seed).integers(
        0, LOTTERY_TICKETS, size=(students, ranks + 1), dtype=np.int64
    )
    seats = np.minimum(
        np.minimum(capacities, students), np.bincount(choice_matrix.ravel(), minlength=items)
    )
    open_items = np.flatnonzero(seats > 0)
    users = np.arange(students)
    unassigned, sink = students + items, students + items + 2
    rank_of_entry = np.tile(np.arange(1, ranks + 1), students)
    tails = np.concatenate(
        (np.repeat(users, ranks), users, [unassigned], students + open_items)
    ).astype(np.int32)
    heads = np.concatenate(
        (
            students + choice_matrix.ravel(),
            np.full(students, unassigned),
            [sink],
            np.full(open_items.size, sink),
        )
    ).astype(np.int32)
    arc_capacities = np.concatenate(
        (np.ones(students * ranks + students), [students], seats[open_items])
    ).astype(np.int64)
    costs = np.concatenate(
        (
            rank_weight * rank_of_entry + tickets[:, :ranks].ravel(),
            np.full(students, unassigned_weight),
            [0],
            np.zeros(open_items.size),
        )
    ).astype(np.int64)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:students] = 1
    supplies[sink] = -students

    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(tails, heads, arc_capacities, costs)
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"bare solve ended with {status.name}")
    return solver.optimal_cost()


def networkx_reference(choice_matrix, capacities):
    """Exact rank_sum optimum by networkx: maximal cardinality, then minimal rank sum."""
    import networkx as nx

    students, ranks = choice_matrix.shape
    unassigned_cost = students * ranks + 1  # exceeds any rank sum, so cardinality comes first
    graph = nx.DiGraph()
    graph.add_node("sink", demand=students)
    graph.add_edge("unassigned", "sink", capacity=students, weight=0)
    for item, capacity in enumerate(capacities.tolist()):
        graph.add_edge(("item", item), "sink", capacity=capacity, weight=0)
    for student, row in enumerate(choice_matrix.tolist()):
        graph.add_node(("user", student), demand=-1)
        graph.add_edge(("user", student), "unassigned", capacity=1, weight=unassigned_cost)
        for rank, item in enumerate(row, start=1):
            graph.add_edge(("user", student), ("item", item), capacity=1, weight=rank)
    started = time.perf_counter()
    _, flow = nx.network_simplex(graph)
    elapsed = time.perf_counter() - started
    profile = dict.fromkeys(range(1, ranks + 1), 0)
    for student, row in enumerate(choice_matrix.tolist()):
        for rank, item in enumerate(row, start=1):
            if flow[("user", student)].get(("item", item), 0):
                profile[rank] += 1
    return elapsed, profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="run a 1,000-student instance")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    sys.path.insert(0, str(PROJECT_ROOT))

    from registration.solvers import allocate, build_problem, solve
    from registration.solvers.min_cost_flow import build_network, cost_budget, plan_stages

    if arguments.quick:
        students, items, ranks, capacity = 1_000, 20, 8, 55
    else:
        students, items, ranks, capacity = 10_000, 200, 8, 55
    choice_matrix, capacities = make_instance(students, items, ranks, capacity, arguments.seed)
    preferences, capacity_map = as_mappings(choice_matrix, capacities)
    demand = np.bincount(choice_matrix[:, 0], minlength=items)
    print(
        f"instance: {students} students x {ranks} ranks x {items} items, "
        f"{int(capacities.sum())} seats; first choices per item max={demand.max()} "
        f"median={int(np.median(demand))}; oversubscribed items={(demand > capacity).sum()}"
    )

    repeats = arguments.repeats
    ours, assignment = median_time(lambda: solve(preferences, capacity_map), repeats)

    problem = build_problem(preferences, capacity_map)
    network = build_network(problem)
    (stage,) = plan_stages(network.levels, cost_budget(network.num_nodes))
    weights = {level.name: weight for level, weight in stage}
    bare, bare_cost = median_time(
        lambda: bare_or_tools(
            choice_matrix, capacities, weights["unassigned"], weights["rank sum"], problem.seed
        ),
        repeats,
    )
    rank_sum_result = allocate(preferences, capacity_map)
    tickets = np.random.default_rng(problem.seed).integers(0, 1000, size=(students, ranks + 1))
    user_row = {user: row for row, user in enumerate(problem.users)}
    our_cost = weights["unassigned"] * len(rank_sum_result.unassigned) + sum(
        weights["rank sum"] * rank + int(tickets[user_row[user], rank - 1])
        for user, rank in rank_sum_result.ranks.items()
    )
    if our_cost != bare_cost:
        raise SystemExit(f"bare graph differs from ours: cost {bare_cost} != {our_cost}")
    print(f"rank_sum  solve(): {ours:.3f}s  (median of {repeats})  assigned={len(assignment)}")
    print(f"rank_sum  bare OR-Tools build+solve: {bare:.3f}s  (same optimal cost {bare_cost})")
    print(f"rank_sum  profile: {rank_sum_result.rank_profile}")

    generous_time, generous = median_time(
        lambda: allocate(preferences, capacity_map, objective="generous"), repeats
    )
    print(
        f"generous  allocate(): {generous_time:.3f}s  stages={generous.stages}  "
        f"profile: {generous.rank_profile}"
    )
    balanced_time, balanced = median_time(
        lambda: allocate(preferences, capacity_map, balanced=True), repeats
    )
    sizes = np.bincount([item - 10_000 for item in balanced.assignment.values()], minlength=items)
    print(
        f"balanced  allocate(): {balanced_time:.3f}s  stages={balanced.stages}  "
        f"profile: {balanced.rank_profile}  group sizes min={sizes.min()} max={sizes.max()}"
    )
    balanced_sum = sum(rank * count for rank, count in balanced.rank_profile.items())
    plain_sum = sum(rank * count for rank, count in rank_sum_result.rank_profile.items())
    if balanced_sum != plain_sum or len(balanced.assignment) != len(assignment):
        raise SystemExit("balanced changed the rank objective")
    both_time, both = median_time(
        lambda: allocate(preferences, capacity_map, objective="generous", balanced=True), repeats
    )
    print(
        f"generous+balanced allocate(): {both_time:.3f}s  stages={both.stages}  "
        f"profile: {both.rank_profile}"
    )

    networkx_time, networkx_profile = networkx_reference(choice_matrix, capacities)
    reference_sum = sum(rank * count for rank, count in networkx_profile.items())
    our_sum = sum(rank * count for rank, count in rank_sum_result.rank_profile.items())
    matches = reference_sum == our_sum and sum(networkx_profile.values()) == len(assignment)
    print(
        f"networkx  network_simplex: {networkx_time:.1f}s (once)  profile: {networkx_profile}  "
        f"rank sum {reference_sum} vs ours {our_sum}: {'match' if matches else 'MISMATCH'}"
    )
    print(
        f"solver: ours={ours:.3f}s bare={bare:.3f}s ratio={ours / bare:.2f}x "
        f"networkx={networkx_time:.1f}s generous={generous_time:.3f}s "
        f"balanced={balanced_time:.3f}s"
    )
    if not matches:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
