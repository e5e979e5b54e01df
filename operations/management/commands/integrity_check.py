"""``manage.py integrity_check [--json] [--record]``: run every integrity metric now.

Prints each metric with its value and threshold (``--json``: a list of ``{"metric", "value",
"threshold", "ok", "ids"}``) and exits 1 when any metric is over its threshold. By default it
only measures (safe at any time, changes nothing, sends nothing); ``--record`` does what the
beat jobs do: repair, store the results and send the alerts.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand

from operations import monitor


class Command(BaseCommand):
    help = "Run every integrity metric now; exit 1 when any is over its threshold."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print a JSON list")
        parser.add_argument(
            "--record",
            action="store_true",
            help="also repair, store the results and send alerts, as the beat jobs do",
        )

    def handle(self, *args, **options):
        outcomes = monitor.run_all() if options["record"] else monitor.measure_all()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "metric": o.check.name,
                            "value": float(o.value),
                            "threshold": float(o.check.threshold),
                            "ok": o.ok,
                            "ids": list(o.ids),
                        }
                        for o in outcomes
                    ],
                    indent=2,
                )
            )
        else:
            width = max((len(o.check.name) for o in outcomes), default=10)
            for o in outcomes:
                state = "ok" if o.ok else "OVER"
                line = (
                    f"{o.check.name:<{width}}  {o.value.normalize():>10f}  "
                    f"> {o.check.threshold.normalize():f}  {state}"
                )
                if o.ids:
                    line += "  ids: " + ", ".join(str(pk) for pk in o.ids[:20])
                self.stdout.write(line)
        if any(not o.ok for o in outcomes):
            sys.exit(1)
