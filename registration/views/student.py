"""Students' registration pages (filled in by the student-pages work)."""

urlpatterns: list = []
