"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from registration.views import allocation, staff, student

app_name = "registration"

student_urlpatterns = [
    path("registrations/", student.index, name="student_index"),
    path("registrations/<int:campaign_id>/", student.campaign_detail, name="student_campaign"),
    path(
        "registrations/<int:campaign_id>/seats/",
        student.campaign_seats,
        name="student_campaign_seats",
    ),
    path("registrations/<int:campaign_id>/result/", student.result, name="student_result"),
    path(
        "registrations/<int:campaign_id>/items/<int:item_id>/register/",
        student.register,
        name="register",
    ),
    path(
        "registrations/<int:campaign_id>/items/<int:item_id>/withdraw/",
        student.withdraw,
        name="withdraw",
    ),
    path(
        "registrations/<int:campaign_id>/preferences/",
        student.submit_preferences,
        name="submit_preferences",
    ),
    path(
        "registrations/<int:campaign_id>/preferences/withdraw/",
        student.withdraw_preferences,
        name="withdraw_preferences",
    ),
]

urlpatterns = student_urlpatterns + staff.urlpatterns + allocation.urlpatterns
