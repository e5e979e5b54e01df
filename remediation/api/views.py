"""Correction batches over JSON: create (draft), list, detail, changes, preview (JSON and CSV),
apply, revert; and an answer sheet's score history.

Thin: authenticate -> look up -> permission (staff of the evaluation's lecture, else 403) ->
validate the body's shape (serializers) -> one service or selector call. Domain refusals
(``mampf.errors.DomainError``) become ``{"code", "message"}`` in ``exceptions``.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from mampf import permissions
from mampf.selectors import is_valid_id
from remediation import selectors_pages, services
from remediation.api import serializers as s
from remediation.api.schema import ERRORS_READ, ERRORS_WRITE
from remediation.models import Evaluation
from remediation.preview_rows import preview_csv_response, preview_data

TAG = ["correction batches"]


class CSVRenderer(renderers.BaseRenderer):
    """Lets ``Accept: text/csv`` through content negotiation; the view answers the CSV itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        import json

        return json.dumps(data).encode() if data is not None else b""


def _require_staff(user, lecture) -> None:
    if not permissions.can_manage_lecture(user, lecture):
        raise PermissionDenied(_("Only the staff of this lecture may do this."))


class CorrectionBatchViewSet(viewsets.GenericViewSet):
    serializer_class = s.BatchSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        status_filter = self.request.query_params.get("status")
        if status_filter is not None and status_filter not in s.STATUSES:
            raise ValidationError(
                {"status": [_("Unknown status; use one of: %s.") % ", ".join(s.STATUSES)]}
            )
        return selectors_pages.batches_for(user=self.request.user, status=status_filter)

    def get_object(self):
        batch_id = int(self.kwargs["pk"])
        batch = selectors_pages.batch_or_none(batch_id) if is_valid_id(batch_id) else None
        if batch is None:
            raise Http404
        _require_staff(self.request.user, batch.evaluation.lecture)
        return batch

    def _detail(self, batch, *, status_code=status.HTTP_200_OK):
        batch.changes_count = selectors_pages.batch_changes(batch=batch).count()
        return Response(s.BatchDetailSerializer(batch).data, status=status_code)

    @extend_schema(
        tags=TAG,
        summary="List correction batches of your lectures",
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=list(s.STATUSES), description="Only this status."
            )
        ],
        responses={200: s.BatchSerializer(many=True), **ERRORS_READ, 400: ERRORS_WRITE[400]},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.BatchSerializer(page, many=True).data)

    @extend_schema(
        tags=TAG,
        summary="Create a draft batch",
        request=s.BatchCreateSerializer,
        responses={201: s.BatchDetailSerializer, **ERRORS_WRITE},
    )
    def create(self, request):
        body = s.BatchCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        evaluation = (
            Evaluation.objects.select_related("lecture").filter(pk=data["evaluation"]).first()
        )
        if evaluation is None:
            raise ValidationError({"evaluation": [_("There is no such evaluation.")]})
        _require_staff(request.user, evaluation.lecture)
        batch = services.create_batch(
            evaluation=evaluation,
            reason=data["reason"],
            corrections=[dict(c) for c in data["corrections"]],
            by=request.user,
        )
        batch = selectors_pages.batch_or_none(batch.pk)
        return self._detail(batch, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAG,
        summary="One batch: payload, who, when, why, status",
        responses={200: s.BatchDetailSerializer, **ERRORS_READ},
    )
    def retrieve(self, request, pk=None):
        return self._detail(self.get_object())

    @extend_schema(
        tags=TAG,
        summary="The answer sheets the batch rescored, with old and new scores",
        responses={200: s.ChangeSerializer(many=True), **ERRORS_READ, 400: ERRORS_WRITE[400]},
    )
    @action(detail=True, methods=["get"])
    def changes(self, request, pk=None):
        batch = self.get_object()
        page = self.paginate_queryset(selectors_pages.batch_changes(batch=batch))
        rows = [selectors_pages.change_row(row) for row in page]
        return self.get_paginated_response(s.ChangeSerializer(rows, many=True).data)

    @extend_schema(
        tags=TAG,
        summary="Apply a draft batch (once)",
        request=None,
        responses={200: s.BatchDetailSerializer, **ERRORS_WRITE},
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        batch = self.get_object()
        services.apply_batch(batch=batch, by=request.user)
        return self._detail(selectors_pages.batch_or_none(batch.pk))

    @extend_schema(
        tags=TAG,
        summary="Revert an applied batch: a compensating batch, applied at once",
        request=s.RevertSerializer,
        responses={201: s.BatchDetailSerializer, **ERRORS_WRITE},
    )
    @action(detail=True, methods=["post"])
    def revert(self, request, pk=None):
        batch = self.get_object()
        body = s.RevertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        compensation = services.revert_batch(
            batch=batch, by=request.user, reason=body.validated_data["reason"]
        )
        return self._detail(
            selectors_pages.batch_or_none(compensation.pk), status_code=status.HTTP_201_CREATED
        )

    @extend_schema(
        tags=TAG,
        summary="Dry run of a draft batch: who moves pass -> fail, fail -> pass, who stays",
        responses={200: s.PreviewSerializer, **ERRORS_READ, 409: ERRORS_WRITE[409]},
    )
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        batch = self.get_object()
        return Response(s.PreviewSerializer(preview_data(batch=batch)).data)

    @extend_schema(
        tags=TAG,
        summary="The preview as CSV (UTF-8 with BOM, ';'): one row per affected student",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV file"),
            **ERRORS_READ,
            409: ERRORS_WRITE[409],
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="preview/csv",
        renderer_classes=[renderers.JSONRenderer, CSVRenderer],
    )
    def preview_csv(self, request, pk=None):
        batch = self.get_object()
        return preview_csv_response(batch=batch)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def not_found(request, *args, **kwargs):
    """Any other path under /api/: a JSON 404, not the HTML page."""
    raise Http404


class SheetHistoryView(APIView):
    """An answer sheet's score history, oldest first (staff of its lecture)."""

    @extend_schema(
        tags=["answer sheets"],
        summary="Score history of one answer sheet",
        responses={200: s.SheetHistorySerializer, **ERRORS_READ},
    )
    def get(self, request, pk: int):
        sheet = selectors_pages.sheet_or_none(pk) if is_valid_id(pk) else None
        if sheet is None:
            raise Http404
        _require_staff(request.user, sheet.evaluation.lecture)
        rows = selectors_pages.sheet_history(sheet=sheet)
        data = {
            "sheet": sheet.pk,
            "evaluation": sheet.evaluation_id,
            "user": {"id": sheet.user_id, "name": sheet.user.name},
            "attempt": sheet.attempt,
            "score": sheet.score,
            "max_score": sheet.max_score,
            "history": [
                {
                    "at": row.at,
                    "score": row.score,
                    "max_score": row.max_score,
                    "batch_id": row.batch_id,
                    "batch_reason": row.batch.reason if row.batch else None,
                    "by": {"id": row.by.pk, "name": row.by.name} if row.by else None,
                }
                for row in rows
            ],
        }
        return Response(s.SheetHistorySerializer(data).data)
