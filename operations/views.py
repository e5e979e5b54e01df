"""The health page for site staff (issue 12 item 3) and the ``/health/`` endpoint."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from operations import monitor, selectors
from operations.health import health  # noqa: F401 - routed in operations.urls
from operations.selectors import sparkline


def _require_site_staff(request) -> None:
    if not (request.user.is_staff or request.user.is_superuser):
        raise PermissionDenied(_("Only site staff see the health page."))


@login_required
@require_GET
def health_page(request):
    """Every metric (last value, threshold, trend, objects) and every beat job."""
    _require_site_staff(request)
    rows = selectors.metric_rows()
    jobs = selectors.jobs()
    return render(
        request,
        "operations/health.html",
        {
            "rows": [(row, sparkline(row.trend)) for row in rows],
            "jobs": jobs,
            "all_ok": all(row.ok for row in rows) and not any(j.overdue for j in jobs),
        },
    )


@login_required
@require_POST
def run_now(request):
    """Run every check now, as the beat jobs do (measure, repair, store, alert)."""
    _require_site_staff(request)
    outcomes = monitor.run_all()
    bad = sum(1 for outcome in outcomes if not outcome.ok)
    messages.info(
        request,
        _("Every check ran: %(bad)s of %(all)s over their threshold.")
        % {"bad": bad, "all": len(outcomes)},
    )
    return redirect("operations:health")
