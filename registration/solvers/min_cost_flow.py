"""Seat allocation as an exact min-cost flow, solved with OR-Tools ``SimpleMinCostFlow``.

Network
-------
Every user node supplies one unit (the source -> user arc of capacity 1, folded into the node
supply). The unit leaves the user along exactly one arc:

* user -> item for every item the user ranked (capacity 1, cost by rank),
* user -> "forced" hub (only with ``force_assignments``); the hub feeds every item with room,
  so a forced user can land in any item, but never in a full one,
* user -> "unassigned" node, which drains into the sink.

Items drain into the sink through their seats: one arc carrying the capacity (``None`` means as
many seats as there are users who could use them), or with ``balanced`` one unit arc per seat.
The sink demands one unit per user, so every instance is feasible.

Cost hierarchy
--------------
The objective is lexicographic; each level is an integer cost per arc, most significant first::

    cardinality (unassigned users) >> forced placements >> rank objective >> balance >> lottery

* cardinality: 1 on each user -> unassigned arc, so the number of assigned users is maximal
  before anything else is considered;
* forced: 1 on each user -> hub arc, so forcing fills only what ranked seats cannot, and never
  lowers the number of users on ranked items;
* rank objective: ``rank_sum`` costs ``r`` for rank ``r``; ``generous`` is one level per rank,
  worst rank first, each counting the users placed at that rank;
* balance: seat ``k`` of an item costs ``k - 1``, so among equally good allocations the sum of
  squared group sizes is minimal and groups stay even;
* lottery: a ticket in ``[0, LOTTERY_TICKETS)`` per user -> item and user -> hub arc, drawn from
  ``numpy.random.default_rng(seed)`` over the canonical user order, so a seed reproduces its
  allocation and other seeds pick other, equally optimal, ones.

Why the weights are exact
-------------------------
Levels that share one solver pass are merged as ``sum(weight * level)``. A flow is optimal iff
its residual graph has no negative cycle, and the difference of two flows splits into simple
residual cycles, so it suffices that every simple cycle which improves a level (by at least 1,
costs being integers) while leaving the more significant levels unchanged has negative merged
cost. A simple cycle changes:

* a per-user level (all but balance) by at most ``K * max_cost``: users have no incoming arcs,
  so a cycle enters a user by undoing its current arc and leaves along a new one, and the node it
  leaves to (an item, the hub or the unassigned node) is different for every user on the cycle,
  hence at most ``K = min(#users, #items with seats + 2)`` users;
* the balance level by at most the largest seat cost: all seat arcs touch the sink, which a
  simple cycle visits once.

Each level's weight is one more than the sum of ``weight * cycle_bound`` over the less
significant levels in its pass, so one unit of a level outweighs every change below it.
(This is why the lottery and balance terms stay strictly below one rank step.)

Why nothing overflows
---------------------
OR-Tools multiplies costs by ``num_nodes + 1`` and rejects arcs above ``2**63 / (2 * (N + 1))``;
by the Goldberg-Tarjan analysis of cost scaling a node price falls by at most ``3 * N * eps`` per
refine phase, with ``eps`` shrinking fivefold per phase from the largest scaled cost, so prices
stay above ``-(3/4) * N * (N + 1) * C`` for largest arc cost ``C``. Every pass therefore keeps
``C <= (2**63 - 1) // (4 * (N + 1)**2)`` (``cost_budget``); the weights are computed and checked
with Python ints before any int64 array is built, so no int64 value here exceeds that bound
either (and OR-Tools range-checks its prices, reporting BAD_COST_RANGE rather than overflowing,
which becomes a RuntimeError). A level whose own costs exceed the budget makes the instance
unrepresentable: ValueError.

Staged passes
-------------
When the merged weights would exceed the budget -- typically ``generous``, whose weights grow
like ``(K + 1) ** ranks`` -- consecutive levels are split into passes. After a pass, node
potentials are computed as shortest-path distances in the residual graph of its optimal flow
(Bellman-Ford from a virtual root; there is no negative cycle), giving every residual arc a
non-negative reduced cost. For any feasible flow ``g`` the cost equals
``sum(reduced_cost * g) + constant``, so the optimal flows of the pass are exactly the feasible
flows with zero flow on arcs of positive reduced cost and full flow on arcs of negative reduced
cost. The next pass drops the former, fixes the latter (moving their flow into the node supplies)
and optimises the next levels over exactly the previous optimum. The result is the exact
lexicographic optimum; staging only costs time.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np
from ortools.graph.python import min_cost_flow

from registration.solvers import AllocationProblem, Placement

__all__ = [
    "LOTTERY_TICKETS",
    "CostLevel",
    "FlowNetwork",
    "MinCostFlowStrategy",
    "build_network",
    "cost_budget",
    "plan_stages",
    "residual_potentials",
    "solve_network",
]

LOTTERY_TICKETS = 1000
INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class CostLevel:
    """One level of the lexicographic objective: a non-negative int64 cost per arc.

    ``cycle_bound`` bounds how much the level's total can grow along one simple residual cycle;
    it sets the weight a more significant level needs to dominate this one.
    """

    name: str
    costs: np.ndarray
    max_cost: int
    cycle_bound: int


@dataclass(frozen=True)
class FlowNetwork:
    """The allocation network as flat arc arrays, plus what decoding the flow needs."""

    num_nodes: int
    tails: np.ndarray
    heads: np.ndarray
    capacities: np.ndarray
    supplies: np.ndarray
    levels: tuple[CostLevel, ...]
    ranked_arcs: slice
    ranked_users: np.ndarray
    ranked_items: np.ndarray
    forced_arcs: slice
    hub_arcs: slice
    hub_items: np.ndarray
    forced_priority: np.ndarray


Stage = tuple[tuple[CostLevel, int], ...]


def cost_budget(num_nodes: int) -> int:
    """Largest arc cost one pass may use on a graph with ``num_nodes`` nodes (see module doc)."""
    return INT64_MAX // (4 * (num_nodes + 1) ** 2)


def build_network(problem: AllocationProblem) -> FlowNetwork:
    """Translate a validated problem into arc arrays and cost levels, without Python loops per arc.

    Node layout: users ``0..n-1``, items ``n..n+m-1``, then the unassigned node, the forced hub
    and the sink.
    """
    user_count = len(problem.users)
    item_count = len(problem.items)
    list_lengths = np.fromiter(
        (len(ranked) for ranked in problem.ranked_items), dtype=np.int64, count=user_count
    )
    entry_count = int(list_lengths.sum())
    entry_items = np.fromiter(
        chain.from_iterable(problem.ranked_items), dtype=np.int64, count=entry_count
    )
    entry_users = np.repeat(np.arange(user_count, dtype=np.int64), list_lengths)
    entry_ranks = _positions_within_runs(list_lengths) + 1
    longest_list = int(list_lengths.max()) if user_count else 0

    capacity = np.fromiter(
        (user_count if seats is None else min(seats, user_count) for seats in problem.capacities),
        dtype=np.int64,
        count=item_count,
    )
    if problem.force_assignments:
        seats = capacity
    else:
        # An item never needs more seats than users who ranked it; keeps balanced arcs few.
        seats = np.minimum(capacity, np.bincount(entry_items, minlength=item_count))
    open_items = np.flatnonzero(seats > 0)

    # The lottery depends only on the seed and the canonical user order and ranks.
    rng = np.random.default_rng(problem.seed)
    tickets = rng.integers(0, LOTTERY_TICKETS, size=(user_count, longest_list + 1), dtype=np.int64)
    forced_priority = rng.permutation(user_count)

    is_open = seats[entry_items] > 0
    ranked_users = entry_users[is_open]
    ranked_items = entry_items[is_open]
    ranked_ranks = entry_ranks[is_open]
    ranked_tickets = tickets[ranked_users, ranked_ranks - 1]

    unassigned_node = user_count + item_count
    hub_node = unassigned_node + 1
    sink_node = hub_node + 1
    num_nodes = sink_node + 1
    users = np.arange(user_count, dtype=np.int64)

    seat_owners = open_items
    seat_capacities = seats[open_items]
    seat_costs = np.zeros(open_items.size, dtype=np.int64)
    if problem.balanced:
        seat_owners = np.repeat(open_items, seats[open_items])
        seat_capacities = np.ones(seat_owners.size, dtype=np.int64)
        seat_costs = _positions_within_runs(seats[open_items])

    forced_count = user_count if problem.force_assignments else 0
    hub_count = open_items.size if problem.force_assignments else 0
    segments = [
        ("ranked", ranked_users, user_count + ranked_items, np.ones(ranked_users.size)),
        ("unassigned", users, np.full(user_count, unassigned_node), np.ones(user_count)),
        ("forced", users[:forced_count], np.full(forced_count, hub_node), np.ones(forced_count)),
        (
            "hub",
            np.full(hub_count, hub_node),
            user_count + open_items[:hub_count],
            seats[open_items[:hub_count]],
        ),
        ("drain", np.array([unassigned_node]), np.array([sink_node]), np.array([user_count])),
        ("seats", user_count + seat_owners, np.full(seat_owners.size, sink_node), seat_capacities),
    ]
    bounds: dict[str, slice] = {}
    start = 0
    for name, segment_tails, _, _ in segments:
        bounds[name] = slice(start, start + segment_tails.size)
        start += segment_tails.size
    arc_count = start
    if num_nodes > INT32_MAX or arc_count > INT32_MAX:
        raise ValueError(
            f"Instance too large for OR-Tools: {num_nodes} nodes and {arc_count} arcs "
            f"(at most {INT32_MAX} each)."
        )
    tails = np.concatenate([segment[1] for segment in segments]).astype(np.int32)
    heads = np.concatenate([segment[2] for segment in segments]).astype(np.int32)
    capacities = np.concatenate([segment[3] for segment in segments]).astype(np.int64)
    supplies = np.zeros(num_nodes, dtype=np.int64)
    supplies[:user_count] = 1
    supplies[sink_node] = -user_count

    users_per_cycle = min(user_count, open_items.size + 2)

    def per_user_level(name: str, filled: dict[str, np.ndarray]) -> CostLevel:
        costs = np.zeros(arc_count, dtype=np.int64)
        for segment_name, values in filled.items():
            costs[bounds[segment_name]] = values
        max_cost = int(costs.max()) if arc_count else 0
        return CostLevel(name, costs, max_cost, users_per_cycle * max_cost)

    levels = [per_user_level("unassigned", {"unassigned": np.ones(user_count, dtype=np.int64)})]
    if problem.force_assignments:
        levels.append(per_user_level("forced", {"forced": np.ones(user_count, dtype=np.int64)}))
    if problem.objective == "rank_sum":
        levels.append(per_user_level("rank sum", {"ranked": ranked_ranks}))
    else:
        # Rank 1 needs no level: once the counts at every worse rank are fixed, it is fixed too.
        for rank in range(longest_list, 1, -1):
            at_rank = (ranked_ranks == rank).astype(np.int64)
            if at_rank.any():
                levels.append(per_user_level(f"users at rank {rank}", {"ranked": at_rank}))
    if problem.balanced:
        balance_costs = np.zeros(arc_count, dtype=np.int64)
        balance_costs[bounds["seats"]] = seat_costs
        largest_seat_cost = int(seat_costs.max()) if seat_costs.size else 0
        levels.append(CostLevel("balance", balance_costs, largest_seat_cost, largest_seat_cost))
    lottery = {"ranked": ranked_tickets}
    if problem.force_assignments:
        lottery["forced"] = tickets[:, longest_list]
    levels.append(per_user_level("lottery", lottery))

    return FlowNetwork(
        num_nodes=num_nodes,
        tails=tails,
        heads=heads,
        capacities=capacities,
        supplies=supplies,
        levels=tuple(levels),
        ranked_arcs=bounds["ranked"],
        ranked_users=ranked_users,
        ranked_items=ranked_items,
        forced_arcs=bounds["forced"],
        hub_arcs=bounds["hub"],
        hub_items=open_items[:hub_count],
        forced_priority=forced_priority,
    )


def _positions_within_runs(run_lengths: np.ndarray) -> np.ndarray:
    """``[0, 1, ..., len0 - 1, 0, 1, ..., len1 - 1, ...]`` for the given run lengths."""
    run_lengths = np.asarray(run_lengths, dtype=np.int64)
    run_starts = np.cumsum(run_lengths) - run_lengths
    return np.arange(int(run_lengths.sum()), dtype=np.int64) - np.repeat(run_starts, run_lengths)


def plan_stages(levels: tuple[CostLevel, ...], budget: int) -> list[Stage]:
    """Group consecutive levels into as few passes as the cost budget allows, with exact weights.

    Works from the least significant level up: a level joins the current pass with weight
    ``1 + sum(weight * cycle_bound)`` of the levels already in it, as long as the largest merged
    arc cost (bounded with Python ints) stays within ``budget``. Passes are returned most
    significant first, each as ``((level, weight), ...)``. Levels that are zero everywhere are
    constant and dropped.
    """
    passes: list[list[tuple[CostLevel, int]]] = []
    current: list[tuple[CostLevel, int]] = []
    current_max = 0
    for level in reversed(levels):
        if level.max_cost == 0:
            continue
        if level.max_cost > budget:
            raise ValueError(
                f"Instance too large to represent: the {level.name!r} costs reach "
                f"{level.max_cost}, above the int64-safe arc cost budget {budget}."
            )
        weight = 1 + sum(lower_weight * lower.cycle_bound for lower, lower_weight in current)
        if current_max + weight * level.max_cost <= budget:
            current.append((level, weight))
            current_max += weight * level.max_cost
        else:
            passes.append(current)
            current = [(level, 1)]
            current_max = level.max_cost
    passes.append(current)
    return [tuple(reversed(levels_in_pass)) for levels_in_pass in reversed(passes)]


def solve_network(network: FlowNetwork, *, budget: int) -> tuple[np.ndarray, int]:
    """Return the lexicographically optimal flow on every arc and the number of passes used."""
    stages = plan_stages(network.levels, budget)
    total_supply = int(network.supplies[network.supplies > 0].sum())
    for stage in stages:
        largest_arc_cost = sum(weight * level.max_cost for level, weight in stage)
        # Each unit of flow crosses at most three arcs (user -> hub -> item -> sink).
        if 3 * total_supply * largest_arc_cost > INT64_MAX:
            raise ValueError("Instance too large to represent: total cost could overflow int64.")

    fixed_flow = np.zeros(network.tails.size, dtype=np.int64)
    active = np.arange(network.tails.size)
    tails, heads = network.tails, network.heads
    capacities, supplies = network.capacities, network.supplies.copy()
    flows = np.zeros(0, dtype=np.int64)
    for stage_number, stage in enumerate(stages):
        costs = np.zeros(active.size, dtype=np.int64)
        for level, weight in stage:
            costs += weight * level.costs[active]
        flows = _run_min_cost_flow(network.num_nodes, tails, heads, capacities, costs, supplies)
        if stage_number == len(stages) - 1:
            break
        potentials = residual_potentials(network.num_nodes, tails, heads, capacities, costs, flows)
        reduced = costs + potentials[tails] - potentials[heads]
        saturated = reduced < 0
        if np.any(flows[reduced > 0] != 0) or np.any(flows[saturated] != capacities[saturated]):
            raise RuntimeError("Flow and potentials disagree; the pass was not optimal.")
        fixed_flow[active[saturated]] = capacities[saturated]
        np.subtract.at(supplies, tails[saturated], capacities[saturated])
        np.add.at(supplies, heads[saturated], capacities[saturated])
        free = reduced == 0
        active, tails, heads, capacities = active[free], tails[free], heads[free], capacities[free]

    total_flow = fixed_flow
    total_flow[active] += flows
    return total_flow, len(stages)


def _run_min_cost_flow(
    num_nodes: int,
    tails: np.ndarray,
    heads: np.ndarray,
    capacities: np.ndarray,
    costs: np.ndarray,
    supplies: np.ndarray,
) -> np.ndarray:
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    solver.set_nodes_supplies(np.arange(num_nodes, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"OR-Tools min-cost flow ended with status {status.name}, not OPTIMAL.")
    return np.asarray(solver.flows(arcs), dtype=np.int64)


def residual_potentials(
    num_nodes: int,
    tails: np.ndarray,
    heads: np.ndarray,
    capacities: np.ndarray,
    costs: np.ndarray,
    flows: np.ndarray,
) -> np.ndarray:
    """Node potentials that give every residual arc of an optimal flow a reduced cost >= 0.

    They are shortest-path distances from a virtual root joined to every node by a zero-cost
    arc, found by a vectorised Bellman-Ford that only relaxes arcs whose tail just improved. An
    optimal flow leaves no negative residual cycle, so this converges within ``num_nodes`` rounds;
    distances lie in ``[-(num_nodes - 1) * max|cost|, 0]`` and fit int64 under the cost budget.
    """
    forward = flows < capacities
    backward = flows > 0
    arc_tails = np.concatenate((tails[forward], heads[backward])).astype(np.int64)
    arc_heads = np.concatenate((heads[forward], tails[backward])).astype(np.int64)
    arc_lengths = np.concatenate((costs[forward], -costs[backward]))
    distance = np.zeros(num_nodes, dtype=np.int64)
    improved = np.ones(num_nodes, dtype=bool)
    for _ in range(num_nodes + 1):
        live = improved[arc_tails]
        candidates = distance[arc_tails[live]] + arc_lengths[live]
        targets = arc_heads[live]
        better = candidates < distance[targets]
        if not better.any():
            return distance
        updated = distance.copy()
        np.minimum.at(updated, targets[better], candidates[better])
        improved = updated < distance
        distance = updated
    raise RuntimeError("Residual graph has a negative cycle; the flow was not optimal.")


class MinCostFlowStrategy:
    """The default strategy: exact lexicographic allocation by (staged) min-cost flow.

    ``max_arc_cost`` can only lower the per-pass cost budget; tests use it to force staging.
    """

    name = "min_cost_flow"

    def __init__(self, *, max_arc_cost: int | None = None) -> None:
        if max_arc_cost is not None and max_arc_cost < 1:
            raise ValueError("max_arc_cost must be a positive int or None.")
        self.max_arc_cost = max_arc_cost

    def place(self, problem: AllocationProblem) -> Placement:
        """Solve the flow problem and read the placement off the arcs that carry flow."""
        if not problem.users:
            return Placement(assigned_items=(), forced_users=frozenset(), stages=0)
        network = build_network(problem)
        budget = cost_budget(network.num_nodes)
        if self.max_arc_cost is not None:
            budget = min(budget, self.max_arc_cost)
        flows, stages = solve_network(network, budget=budget)

        assigned = np.full(len(problem.users), -1, dtype=np.int64)
        takes_ranked_arc = flows[network.ranked_arcs] > 0
        assigned[network.ranked_users[takes_ranked_arc]] = network.ranked_items[takes_ranked_arc]

        # The hub only says how many forced users each item receives. Any pairing is valid: a
        # forced user never ranked an item the hub feeds, or sending them there directly would
        # beat the forced placement.
        forced_users = np.flatnonzero(flows[network.forced_arcs] > 0)
        forced_seats = np.repeat(network.hub_items, flows[network.hub_arcs])
        if forced_users.size != forced_seats.size or np.any(assigned[forced_users] >= 0):
            raise RuntimeError("Forced flow is inconsistent; refusing to decode it.")
        lottery_order = forced_users[np.argsort(network.forced_priority[forced_users])]
        assigned[lottery_order] = forced_seats

        return Placement(
            assigned_items=tuple(assigned.tolist()),
            forced_users=frozenset(forced_users.tolist()),
            stages=stages,
        )
