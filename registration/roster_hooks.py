"""What registration tells the roster pages (plugged in at ``RegistrationConfig.ready()``)."""

from django.db.models import QuerySet

from registration.models import UserRegistration


def users_registered_for_lecture(lecture_id: int) -> QuerySet:
    """Ids of everyone with a registration (any status) in one of the lecture's campaigns."""
    return UserRegistration.objects.filter(campaign__lecture_id=lecture_id).values("user_id")
