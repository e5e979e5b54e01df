"""URL names are a contract: templates, tests and other apps reverse them."""

from rosters import views

app_name = "rosters"
urlpatterns = views.urlpatterns
