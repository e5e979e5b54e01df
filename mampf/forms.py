"""Forms of the catalogue pages: login and the user's own profile."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader
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


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form, limited per address and per client address (``mampf.services``),
    mailing through the mail queue. Whether a mail went out is never shown: the page after it
    is the same for known, unknown and throttled addresses."""

    def save(self, *, request, **kwargs):
        from mampf import services
        from mampf.guards import client_ip

        if not services.claim_password_reset_slot(
            email=self.cleaned_data["email"], client_ip=client_ip(request)
        ):
            return
        super().save(request=request, **kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):
        from mampf.tasks import send_notification_email

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        send_notification_email.delay_on_commit(subject=subject, body=body, to=[to_email])


class PartialUpdateMixin:
    """A field the request did not send is left out of the form, so it stays unchanged.

    A browser always sends every text field (empty when cleared), so "missing" only happens with
    hand-made requests, other clients or JSON bodies; it must never mean "clear it". A request
    that sends none of the fields is refused. Read the values with ``submitted(name)``.
    """

    nothing_sent_message = _("The request contained none of the form's fields; nothing was saved.")

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        if not self.is_bound:
            return
        omitted = [
            name
            for name, field in self.fields.items()
            if field.widget.value_omitted_from_data(self.data, self.files, self.add_prefix(name))
        ]
        self.omitted = set(omitted)
        if len(omitted) == len(self.fields):
            self.omitted = set()  # keep the fields so the page can show them again
            self._nothing_sent = True
        else:
            self._nothing_sent = False
            for name in omitted:
                del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        if getattr(self, "_nothing_sent", False):
            self.errors.clear()
            raise forms.ValidationError(self.nothing_sent_message, code="nothing_sent")
        return cleaned

    def submitted(self, name: str, default):
        """The cleaned value of a field the request sent, else ``default``."""
        return self.cleaned_data[name] if name in self.fields else default


class ProfileForm(PartialUpdateMixin, forms.ModelForm):
    """The user's own name and university address (some registrations require the latter).

    Only validates: ``mampf.services.update_profile`` saves, because a changed address must
    lose its confirmation and get a confirmation mail. It never says whether an address is used
    by another account (see ``mampf.services``): only a confirmed address is unique, and that
    conflict surfaces at confirmation, to the person who proved they own the address.
    """

    class Meta:
        model = get_user_model()
        fields = ("name", "institutional_email", "language")
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
            "language": _("Notifications about your registrations and groups use this language."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "language" in self.fields:
            self.fields["language"].choices = [("", _("The site's default"))] + [
                (code, name) for code, name in settings.LANGUAGES
            ]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please enter your name."))
        return name

    def clean_institutional_email(self):
        return (self.cleaned_data.get("institutional_email") or "").strip().lower() or None
