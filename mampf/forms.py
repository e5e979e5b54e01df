from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """E-mail and password; the error never says which of the two was wrong."""

    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _(
            "That e-mail address and password do not match an account. "
            "Please check both and try again."
        ),
        "inactive": _("This account is inactive. Please contact the course staff."),
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()
