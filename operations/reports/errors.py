"""Refusals of the reports, each with a stable code and a translated message."""

from django.utils.translation import gettext_lazy as _

from mampf.errors import DomainError


class ReportError(DomainError):
    code = "report_error"
    default_message = _("The report could not be produced.")


class InvalidFilter(ReportError):
    """A filter value (date, student) the report cannot use; nothing is exported."""

    code = "invalid_filter"
    default_message = _("Please check the filter: a date must look like 2026-10-31.")


class StudentNotFound(ReportError):
    """The staff look-up found no account by exact address, login or matriculation number."""

    code = "student_not_found"
    default_message = _("No account has exactly this e-mail address or matriculation number.")
