"""Translated display of the pure modules' results (the MC pass mark's derivation)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grade_schemes.mc import FIRST_ATTEMPTS, PassMark


def _n(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return "–"
    text = number_format(value.quantize(Decimal(1).scaleb(-places)), places)
    if "," in text or "." in text:
        text = text.rstrip("0").rstrip(",.")
    return text


def derivation_text(result: PassMark) -> str:
    """ "mean of 212 first-time candidates 31.4 of 50; 78 % = 24.5; 60 % = 30; pass mark = 25
    questions, rounded up" for a ``PassMark``."""
    parts = []
    if result.reference_mean is not None:
        if result.reference == FIRST_ATTEMPTS:
            template = ngettext(
                "mean of %(count)d first-time candidate %(mean)s of %(max)s",
                "mean of %(count)d first-time candidates %(mean)s of %(max)s",
                result.reference_count,
            )
        else:
            template = ngettext(
                "mean of %(count)d candidate %(mean)s of %(max)s",
                "mean of %(count)d candidates %(mean)s of %(max)s",
                result.reference_count,
            )
        parts.append(
            template
            % {
                "count": result.reference_count,
                "mean": _n(result.reference_mean, 1),
                "max": _n(result.max_points),
            }
        )
    if result.relative_value is not None:
        if result.relative_factor is not None:
            factor = _n(result.relative_factor * 100)
            parts.append(f"{factor} % = {_n(result.relative_value, 1)}")
        elif result.relative_minus_points is not None:
            parts.append(
                _("mean − %(points)s = %(value)s")
                % {
                    "points": _n(result.relative_minus_points),
                    "value": _n(result.relative_value, 1),
                }
            )
    if result.absolute_value is not None:
        parts.append(f"{_n(result.absolute_percent)} % = {_n(result.absolute_value, 1)}")
    if result.floor_value is not None:
        parts.append(
            _("floor %(percent)s %% = %(value)s")
            % {"percent": _n(result.floor_percent), "value": _n(result.floor_value, 1)}
        )
    mark = _n(result.pass_mark)
    if result.step == 1:
        text = _("pass mark = %(mark)s questions") % {"mark": mark}
    else:
        text = _("pass mark = %(mark)s points") % {"mark": mark}
    if result.rounded_up:
        text += _(", rounded up")
    parts.append(text)
    return "; ".join(parts)
