"""Staff registration pages (filled in by the staff-pages work)."""

urlpatterns: list = []
