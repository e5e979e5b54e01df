"""Writes of the performance app; the public names of ARCHITECTURE.md live here.

Long flows have their own modules and are re-exported here.
"""

# certify: certification services (performance/certification.py)
from performance.certification import (  # noqa: F401
    accept_all_proposals,
    carry_over,
    override_certification,
    recertify,
)
