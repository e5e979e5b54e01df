"""Forms of the catalogue pages: login and the user's own profile."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q
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


class ProfileForm(forms.ModelForm):
    """The user's own name and university address (some registrations require the latter).

    Only validates: ``mampf.services.update_profile`` saves, because a changed address must
    lose its confirmation and get a confirmation mail.
    """

    class Meta:
        model = get_user_model()
        fields = ("name", "institutional_email")
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "institutional_email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }
        help_texts = {
            "institutional_email": _(
                "Your university address, for example name@stud.uni-heidelberg.de. "
                "Some registrations (such as exams) are open only to university members. "
                "We send a link to a new address; it counts once you open that link."
            ),
        }

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please enter your name."))
        return name

    def clean_institutional_email(self):
        address = (self.cleaned_data.get("institutional_email") or "").strip().lower()
        if not address:
            return None
        taken = (
            get_user_model()
            .objects.exclude(pk=self.instance.pk)
            .filter(Q(email__iexact=address) | Q(institutional_email__iexact=address))
            .exists()
        )
        if taken:
            raise forms.ValidationError(
                _("This e-mail address already belongs to another account. If it is yours, "
                  "please contact the course staff.")
            )
        return address
