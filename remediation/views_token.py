"""The "API token" page: staff create, replace or revoke their own token for scripts.

The key is shown once, in the answer to "Create"; afterwards the page says only since when a
token exists. Students and tutors without a lecture get 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mampf import permissions
from remediation import tokens


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    permissions.require(permissions.manages_any_lecture(request.user))
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if tokens.revoke_token(user=request.user):
                messages.success(request, _("Your API token was revoked."))
            return redirect("remediation:api_token")
        new_key = tokens.create_token(user=request.user).key
        messages.success(request, _("A new API token was created. Copy it now: it is shown once."))
    return render(
        request,
        "remediation/api_token.html",
        {"token": tokens.current_token(user=request.user), "new_key": new_key},
    )
