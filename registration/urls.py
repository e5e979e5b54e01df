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

staff_urlpatterns = [
    path(
        "staff/lectures/<int:lecture_id>/campaigns/",
        staff.campaign_index,
        name="staff_campaign_index",
    ),
    path(
        "staff/lectures/<int:lecture_id>/campaigns/new/",
        staff.campaign_create,
        name="staff_campaign_create",
    ),
    path("staff/campaigns/<int:campaign_id>/", staff.campaign_detail, name="staff_campaign_detail"),
    path(
        "staff/campaigns/<int:campaign_id>/settings/",
        staff.campaign_settings,
        name="staff_campaign_settings",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/items/",
        staff.campaign_items,
        name="staff_campaign_items",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/items/<int:item_id>/remove/",
        staff.item_remove,
        name="staff_item_remove",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/items/<int:item_id>/capacity/",
        staff.item_capacity,
        name="staff_item_capacity",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/policies/",
        staff.campaign_policies,
        name="staff_campaign_policies",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/policies/<int:policy_id>/remove/",
        staff.policy_remove,
        name="staff_policy_remove",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/registrations/",
        staff.campaign_registrations,
        name="staff_campaign_registrations",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/registrations/add/",
        staff.registration_add,
        name="staff_registration_add",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/registrations/<int:user_id>/cancel/",
        staff.registration_cancel,
        name="staff_registration_cancel",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/registrations.csv",
        staff.campaign_registrations_export,
        name="staff_campaign_registrations_csv",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/registrations.xlsx",
        staff.campaign_registrations_export,
        {"fmt": "xlsx"},
        name="staff_campaign_registrations_xlsx",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/transition/<str:action>/",
        staff.campaign_transition,
        name="staff_campaign_transition",
    ),
]

allocation_urlpatterns = [
    path(
        "staff/campaigns/<int:campaign_id>/allocation/",
        allocation.campaign_allocation,
        name="staff_campaign_allocation",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/allocation/progress/",
        allocation.allocation_progress,
        name="staff_allocation_progress",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/allocation/run/",
        allocation.campaign_allocate,
        name="staff_campaign_allocate",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/finalize/",
        allocation.campaign_finalize,
        name="staff_campaign_finalize",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/unassigned/",
        allocation.unassigned,
        name="staff_unassigned",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/unassigned/<int:user_id>/assign/",
        allocation.unassigned_assign,
        name="staff_unassigned_assign",
    ),
]

urlpatterns = student_urlpatterns + staff_urlpatterns + allocation_urlpatterns
