from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from mampf import sso, views
from mampf.forms import LoginForm, ThrottledPasswordResetForm

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        sso.LoginPage.as_view(
            template_name="mampf/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Single sign-on (404 unless OIDC_RP_CLIENT_ID is set); the names mozilla-django-oidc uses.
    path("oidc/authenticate/", sso.UniversityLoginStart.as_view(), name="oidc_authentication_init"),
    path(
        "oidc/callback/", sso.UniversityLoginCallback.as_view(), name="oidc_authentication_callback"
    ),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(form_class=ThrottledPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("lectures/<int:lecture_id>/", views.lecture_detail, name="lecture_detail"),
    path("profile/", views.profile, name="profile"),
    path(
        "profile/resend-confirmation/",
        views.resend_institutional_email_confirmation,
        name="resend_institutional_email_confirmation",
    ),
    path(
        "profile/confirm/<str:token>/",
        views.confirm_institutional_email,
        name="confirm_institutional_email",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("registration.urls")),
    path("", include("rosters.urls")),
    path("", include("mampf.catalogue_urls")),
    path("", include("assessment.urls")),
    path("", include("performance.urls")),
    path("", include("grade_schemes.urls")),
    path("", include("operations.urls")),
    path("", include("operations.reports.urls")),
    path("", include("remediation.urls")),
    path("api/", include("remediation.api.urls")),
]

handler403 = "mampf.views.permission_denied"
handler404 = "mampf.views.page_not_found"
