"""Catalogue pages: the role-aware start page, a lecture overview and the user's profile."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mampf import errors, permissions, selectors, services
from mampf.context_processors import Navigation
from mampf.errors import ProfileError
from mampf.forms import ProfileForm
from mampf.models import Lecture


@login_required
@require_GET
def home(request):
    """What this user can do: their groups, the groups they tutor, the lectures they manage."""
    user = request.user
    roles_read = selectors.staff_roles_read(user=user)  # in the memberships' round trip
    memberships = selectors.memberships_of_student(user=user, along=[roles_read])
    roles = selectors.staff_roles_from(roles_read.rows if roles_read else [], user=user)
    has_memberships = any(memberships.values())
    # A student with no staff role pays nothing for the staff sections.
    managed_lectures = (
        list(selectors.lectures_for_dashboard(user=user)) if roles.manages_lectures else []
    )
    tutorials = list(selectors.tutorials_of_tutor(user=user)) if roles.tutors_groups else []
    context = {
        "memberships": memberships,
        "has_memberships": has_memberships,
        "managed_lectures": managed_lectures,
        "tutorials": tutorials,
        "is_site_staff": roles.is_site_staff,
        # Tutors and staff who are on no roster themselves do not need the student's cards.
        "show_student_section": has_memberships
        or not (managed_lectures or tutorials or roles.is_site_staff),
        # The layout's flags, already known (no second query for "My groups").
        "nav": Navigation(user, manages_lectures=roles.manages_lectures,
                          tutors_groups=roles.tutors_groups),
    }
    return render(request, "mampf/home.html", context)


@login_required
@require_GET
def lecture_detail(request, lecture_id: int):
    """Overview of one lecture's groups; for its teacher, editors and site staff only."""
    try:
        lecture = selectors.lecture_overview(lecture_id=lecture_id)
    except Lecture.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    return render(request, "mampf/lecture_detail.html", {"lecture": lecture})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The user edits their own name and university address (PRG on success).

    A new university address is stored unconfirmed and a confirmation link is mailed to it.
    """
    # A POST validates into a fresh copy: a refused form must not leave half-applied values on
    # request.user. An unbound form (GET) only reads its instance.
    if request.method == "POST":
        user = get_user_model().objects.get(pk=request.user.pk)
    else:
        user = request.user
    # Bound on every POST, even an empty or JSON one: such a request is refused, never "cleared".
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=user)
    if request.method == "POST":
        if form.is_valid():
            outcome = services.update_profile(
                user=request.user,
                name=form.submitted("name", services.UNCHANGED),
                institutional_email=form.submitted("institutional_email", services.UNCHANGED),
                language=form.submitted("language", services.UNCHANGED),
                absolute_url=request.build_absolute_uri,
            )
            messages.success(request, _("Your profile has been saved."))
            _tell_about_confirmation(request, outcome)
            return redirect("profile")
        messages.error(request, _("Please correct the errors below."))
    return render(
        request,
        "mampf/profile.html",
        # The saved state, not the form's unsaved input, decides what the page says is confirmed.
        {"form": form, "profile_user": request.user},
    )


def _tell_about_confirmation(request, outcome: services.ProfileUpdate) -> None:
    if not (outcome.address_changed and outcome.address):
        return
    if outcome.confirmation_sent:
        messages.info(
            request,
            _("We sent a confirmation link to %(address)s. Open it to confirm the address; "
              "until then, registrations that require a university address stay closed to you.")
            % {"address": outcome.address},
        )
    else:
        messages.warning(
            request,
            _("We could not send the confirmation link yet because we sent you one less than a "
              "minute ago. Please use “Send the link again” in a minute."),
        )


@login_required
@require_POST
def resend_institutional_email_confirmation(request):
    """Mail a fresh confirmation link (at most once a minute per user)."""
    try:
        address = services.resend_institutional_email_confirmation(
            user=request.user, absolute_url=request.build_absolute_uri
        )
    except ProfileError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("We sent a new confirmation link to %(address)s.") % {"address": address}
        )
    return redirect("profile")


@login_required
@require_http_methods(["GET", "POST"])
def confirm_institutional_email(request, token: str):
    """GET asks "confirm this address?" (link pre-fetchers change nothing); POST confirms."""
    try:
        if request.method == "POST":
            newly_confirmed = services.confirm_institutional_email(user=request.user, token=token)
        else:
            address = services.read_confirmation_token(user=request.user, token=token)
    except ProfileError as exc:
        user = request.user
        context = {
            "error": str(exc),
            # A new link cannot help when the address is confirmed for another account.
            "can_resend": bool(
                user.institutional_email
                and not user.verified_institutional_email
                and not isinstance(exc, errors.AddressTaken)
            ),
        }
        return render(request, "mampf/confirm_institutional_email.html", context, status=400)
    if request.method == "POST":
        if newly_confirmed:
            messages.success(request, _("Thank you: your university e-mail address is confirmed."))
        else:
            messages.info(request, _("Your university e-mail address is already confirmed."))
        return redirect("profile")
    return render(
        request,
        "mampf/confirm_institutional_email.html",
        {"address": address, "already_confirmed": bool(request.user.verified_institutional_email)},
    )


def locked_out(request, response=None, credentials=None):
    """The page for a login refused by the throttle (django-axes' lockout callable)."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes},
                  status=429)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
