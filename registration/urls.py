"""URL names are a contract: templates, tests and other apps reverse them."""

from registration.views import allocation, staff, student

app_name = "registration"
urlpatterns = student.urlpatterns + staff.urlpatterns + allocation.urlpatterns
