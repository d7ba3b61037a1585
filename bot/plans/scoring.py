"""The quarterly board's score (一季度一公开, 比进展): a weighted mean of how a project keeps to
its plan, weighted as the office sets in ``BOARD_WEIGHTS``."""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_WEIGHTS = {"milestones": 30.0, "investment": 30.0, "problems": 20.0, "reporting": 20.0}


def weighted_score(parts: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """The weighted mean of the components a project has (one without a plan is ranked on
    the rest); None when it has none."""
    present = [
        (weights.get(name, 0.0), value) for name, value in parts.items() if value is not None
    ]
    total = sum(weight for weight, _ in present)
    if not present or total <= 0:
        return None
    return sum(weight * value for weight, value in present) / total


def parse_board_weights(raw: str) -> dict[str, float]:
    """``milestones=30,investment=30,problems=20,reporting=20`` (any subset; the rest 0)."""
    weights = dict.fromkeys(DEFAULT_WEIGHTS, 0.0)
    for part in raw.split(","):
        name, _, value = part.partition("=")
        name = name.strip().lower()
        if name not in weights:
            raise ValueError(f"unknown component {name!r}: use {', '.join(DEFAULT_WEIGHTS)}")
        try:
            weights[name] = float(value)
        except ValueError:
            raise ValueError(f"{name} needs a number, e.g. {name}=30") from None
        if weights[name] < 0:
            raise ValueError(f"{name} must not be negative")
    if not any(weights.values()):
        raise ValueError("at least one weight must be above 0")
    return weights
