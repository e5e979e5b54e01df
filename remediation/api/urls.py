"""The JSON API under ``/api/`` (ARCHITECTURE.md "The grading half": these paths are stable)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from remediation.api import views

app_name = "api"

router = SimpleRouter()
router.register(
    "results/correction-batches", views.CorrectionBatchViewSet, basename="correction-batch"
)

urlpatterns = [
    path("", include(router.urls)),
    path(
        "results/answer-sheets/<int:pk>/history/",
        views.SheetHistoryView.as_view(),
        name="answer-sheet-history",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Every other path, control characters and line breaks included: a JSON 404.
    re_path(r"^[\s\S]*\Z", views.not_found, name="not_found"),
]
