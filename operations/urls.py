from django.urls import path

from operations import views

app_name = "operations"

urlpatterns = [
    path("operations/health/", views.health_page, name="health"),
    path("operations/health/run/", views.run_now, name="run_now"),
    # Normally answered by operations.health.HealthMiddleware before routing.
    path("health/", views.health, name="health_endpoint"),
]
