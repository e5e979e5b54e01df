"""Seat allocation solvers: pure functions from preferences and capacities to an assignment.

Nothing here touches Django or the database, so the allocation service can run a solver in a
worker, in a test, or in a benchmark alike.

``solve`` returns the plain ``{user: item}`` dict; ``allocate`` returns an ``AllocationResult``
with the statistics the allocation service records. Both validate the input, put users and items
into a canonical order (so dict insertion order never changes the outcome) and then hand a dense,
index-based ``AllocationProblem`` to a strategy from the registry. The default strategy,
``"min_cost_flow"``, lives in :mod:`registration.solvers.min_cost_flow` and is imported on first
use, so importing this package does not load OR-Tools.
"""

from __future__ import annotations

import importlib
import operator
import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "DEFAULT_STRATEGY",
    "OBJECTIVES",
    "AllocationProblem",
    "AllocationResult",
    "Placement",
    "SolverStrategy",
    "allocate",
    "available_strategies",
    "build_problem",
    "canonical_order",
    "get_strategy",
    "register_strategy",
    "solve",
]

OBJECTIVES = ("rank_sum", "generous")
DEFAULT_STRATEGY = "min_cost_flow"


@dataclass(frozen=True)
class AllocationProblem:
    """A validated instance in dense indices, the only input a strategy ever sees.

    ``users`` and ``items`` are in canonical order; ``ranked_items[u]`` lists indices into
    ``items``, best first; ``capacities[i]`` is a seat count or ``None`` for unlimited.
    """

    users: tuple[Hashable, ...]
    items: tuple[Hashable, ...]
    ranked_items: tuple[tuple[int, ...], ...]
    capacities: tuple[int | None, ...]
    objective: str
    seed: int
    force_assignments: bool
    balanced: bool


@dataclass(frozen=True)
class Placement:
    """What a strategy returns: the item index per user (-1 = unassigned) and who was forced."""

    assigned_items: tuple[int, ...]
    forced_users: frozenset[int]
    stages: int = 1


@dataclass(frozen=True)
class AllocationResult:
    """The outcome of one allocation run, with everything the service wants to record.

    ``ranks`` holds the rank each assigned user obtained (1 = first choice) or ``None`` for a
    forced placement; ``rank_profile`` counts users per rank for every rank from 1 to the longest
    preference list; ``stages`` is the number of solver passes needed to keep every objective
    level exact; ``wall_time_seconds`` covers validation, solving and decoding.
    """

    assignment: dict[Hashable, Hashable]
    ranks: dict[Hashable, int | None]
    forced: frozenset[Hashable]
    unassigned: tuple[Hashable, ...]
    rank_profile: dict[int, int]
    objective: str
    seed: int
    balanced: bool
    force_assignments: bool
    strategy: str
    stages: int
    wall_time_seconds: float


@runtime_checkable
class SolverStrategy(Protocol):
    """A pluggable solver: takes a validated problem, returns a capacity-respecting placement."""

    name: str

    def place(self, problem: AllocationProblem) -> Placement:
        """Place users; must never exceed a capacity or place an unforced user off their list."""
        ...


_REGISTERED: dict[str, SolverStrategy] = {}
# Built-in strategies are imported lazily so that importing this package stays cheap.
_BUILT_IN: dict[str, tuple[str, str]] = {
    "min_cost_flow": ("registration.solvers.min_cost_flow", "MinCostFlowStrategy"),
}


def register_strategy(strategy: SolverStrategy, *, replace: bool = False) -> None:
    """Make ``strategy`` selectable by its ``name``; refuses to shadow a name unless asked."""
    if not isinstance(strategy, SolverStrategy):
        raise TypeError(f"{strategy!r} does not implement SolverStrategy (name + place()).")
    taken = strategy.name in _REGISTERED or strategy.name in _BUILT_IN
    if taken and not replace:
        raise ValueError(f"A solver strategy named {strategy.name!r} is already registered.")
    _REGISTERED[strategy.name] = strategy


def get_strategy(name: str) -> SolverStrategy:
    """Return the strategy registered under ``name``, importing a built-in one on first use."""
    if name not in _REGISTERED:
        if name not in _BUILT_IN:
            known = ", ".join(available_strategies())
            raise ValueError(f"Unknown solver strategy {name!r}; known strategies: {known}.")
        module_name, class_name = _BUILT_IN[name]
        strategy_class = getattr(importlib.import_module(module_name), class_name)
        _REGISTERED[name] = strategy_class()
    return _REGISTERED[name]


def available_strategies() -> tuple[str, ...]:
    """Names accepted by ``solve(..., strategy=...)``."""
    return tuple(sorted(set(_REGISTERED) | set(_BUILT_IN)))


def canonical_order(keys: Iterable[Hashable]) -> tuple[Hashable, ...]:
    """Sort keys so results never depend on dict insertion order.

    Mutually comparable keys (ints, strings) use their natural order; anything else falls back
    to the type name and ``repr``.
    """
    keys = list(keys)
    try:
        return tuple(sorted(keys))
    except TypeError:
        return tuple(sorted(keys, key=lambda key: (type(key).__qualname__, repr(key))))


def build_problem(
    preferences: Mapping[Hashable, Sequence[Hashable]],
    capacities: Mapping[Hashable, int | None],
    *,
    objective: str = "rank_sum",
    seed: int = 0,
    force_assignments: bool = False,
    balanced: bool = False,
) -> AllocationProblem:
    """Validate the input and translate keys to dense indices in canonical order.

    Raises ValueError for an unknown objective, a negative capacity, a negative seed, an item that
    has no capacity entry, or an item listed twice by one user: the solver must not silently
    reinterpret any of those.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"Unknown objective {objective!r}; expected one of {OBJECTIVES}.")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}.")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}.")
    if not isinstance(preferences, Mapping) or not isinstance(capacities, Mapping):
        raise TypeError("preferences and capacities must both be mappings.")

    items = canonical_order(capacities)
    item_index = {item: index for index, item in enumerate(items)}
    seat_counts: list[int | None] = []
    for item in items:
        seat_counts.append(_validated_capacity(item, capacities[item]))

    users = canonical_order(preferences)
    ranked_items: list[tuple[int, ...]] = []
    index_of = item_index.__getitem__
    for user in users:
        ranked = preferences[user]
        # The exact-type test is only a fast path for the common case; the ABC check is slow.
        if type(ranked) not in (list, tuple) and (
            isinstance(ranked, (str, bytes)) or not isinstance(ranked, Sequence)
        ):
            raise TypeError(
                f"Preferences of user {user!r} must be a list of items, best first; "
                f"got {type(ranked).__name__}."
            )
        try:
            indices = tuple(map(index_of, ranked))
        except (KeyError, TypeError):
            unknown = next(item for item in ranked if not _is_known(item, item_index))
            raise ValueError(
                f"User {user!r} ranks item {unknown!r}, which has no capacity entry."
            ) from None
        if len(set(indices)) != len(indices):
            duplicate = next(
                item for position, item in enumerate(ranked) if item in ranked[:position]
            )
            raise ValueError(f"User {user!r} ranks item {duplicate!r} more than once.")
        ranked_items.append(indices)

    return AllocationProblem(
        users=users,
        items=items,
        ranked_items=tuple(ranked_items),
        capacities=tuple(seat_counts),
        objective=objective,
        seed=seed,
        force_assignments=bool(force_assignments),
        balanced=bool(balanced),
    )


def _validated_capacity(item: Hashable, capacity: object) -> int | None:
    if capacity is None:
        return None
    if isinstance(capacity, bool):
        raise TypeError(f"Capacity of item {item!r} must be an int or None, got {capacity!r}.")
    try:
        seats = operator.index(capacity)
    except TypeError:
        raise TypeError(
            f"Capacity of item {item!r} must be an int or None, got {capacity!r}."
        ) from None
    if seats < 0:
        raise ValueError(f"Capacity of item {item!r} must be >= 0 or None, got {seats}.")
    return seats


def _is_known(item: object, item_index: Mapping[Hashable, int]) -> bool:
    try:
        return item in item_index
    except TypeError:
        return False


def allocate(
    preferences: Mapping[Hashable, Sequence[Hashable]],
    capacities: Mapping[Hashable, int | None],
    *,
    objective: str = "rank_sum",
    seed: int = 0,
    force_assignments: bool = False,
    balanced: bool = False,
    strategy: str | SolverStrategy = DEFAULT_STRATEGY,
) -> AllocationResult:
    """Allocate seats and report ranks, forced and unassigned users, and the rank profile.

    ``strategy`` is a registered name or a strategy object (useful to pass a configured one).
    The placement a strategy returns is re-checked here against capacities and preference
    lists, so a faulty strategy raises RuntimeError instead of producing an invalid allocation.
    """
    started = time.perf_counter()
    solver = get_strategy(strategy) if isinstance(strategy, str) else strategy
    problem = build_problem(
        preferences,
        capacities,
        objective=objective,
        seed=seed,
        force_assignments=force_assignments,
        balanced=balanced,
    )
    placement = solver.place(problem)
    if len(placement.assigned_items) != len(problem.users):
        raise RuntimeError(f"Strategy {solver.name!r} returned a placement of the wrong length.")

    assignment: dict[Hashable, Hashable] = {}
    ranks: dict[Hashable, int | None] = {}
    unassigned: list[Hashable] = []
    seats_taken = [0] * len(problem.items)
    longest_list = max((len(ranked) for ranked in problem.ranked_items), default=0)
    rank_profile = dict.fromkeys(range(1, longest_list + 1), 0)
    for user_index, item_index in enumerate(placement.assigned_items):
        user = problem.users[user_index]
        if item_index < 0:
            if user_index in placement.forced_users:
                raise RuntimeError(f"Strategy {solver.name!r} forced user {user!r} nowhere.")
            unassigned.append(user)
            continue
        ranked = problem.ranked_items[user_index]
        if user_index in placement.forced_users:
            if not problem.force_assignments or item_index in ranked:
                raise RuntimeError(
                    f"Strategy {solver.name!r} made an invalid forced placement for {user!r}."
                )
            rank = None
        elif item_index in ranked:
            rank = ranked.index(item_index) + 1
            rank_profile[rank] += 1
        else:
            raise RuntimeError(
                f"Strategy {solver.name!r} placed {user!r} into an item they did not rank."
            )
        seats_taken[item_index] += 1
        item = problem.items[item_index]
        assignment[user] = item
        ranks[user] = rank
    for item_index, taken in enumerate(seats_taken):
        capacity = problem.capacities[item_index]
        if capacity is not None and taken > capacity:
            raise RuntimeError(
                f"Strategy {solver.name!r} overfilled item {problem.items[item_index]!r}."
            )

    return AllocationResult(
        assignment=assignment,
        ranks=ranks,
        forced=frozenset(problem.users[index] for index in placement.forced_users),
        unassigned=tuple(unassigned),
        rank_profile=rank_profile,
        objective=problem.objective,
        seed=problem.seed,
        balanced=problem.balanced,
        force_assignments=problem.force_assignments,
        strategy=solver.name,
        stages=placement.stages,
        wall_time_seconds=time.perf_counter() - started,
    )


def solve(
    preferences: Mapping[Hashable, Sequence[Hashable]],
    capacities: Mapping[Hashable, int | None],
    *,
    objective: str = "rank_sum",
    seed: int = 0,
    force_assignments: bool = False,
    balanced: bool = False,
    strategy: str | SolverStrategy = DEFAULT_STRATEGY,
) -> dict[Hashable, Hashable]:
    """Return ``{user: item}`` for every assigned user; unassigned users are absent.

    Cardinality is maximal first, then (with ``force_assignments``) as few forced placements as
    possible, then the objective (``"rank_sum"`` or ``"generous"``), then with ``balanced`` even
    group sizes, then a lottery seeded by ``seed``. See :mod:`registration.solvers.min_cost_flow`.
    """
    return allocate(
        preferences,
        capacities,
        objective=objective,
        seed=seed,
        force_assignments=force_assignments,
        balanced=balanced,
        strategy=strategy,
    ).assignment
