"""Template context shared by every page: which navigation entries this user may see."""

from mampf import permissions


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {"authenticated": False}}
    return {
        "nav": {
            "authenticated": True,
            "is_site_staff": permissions.is_site_staff(user),
            "manages_lectures": permissions.manages_any_lecture(user),
            "tutors_groups": permissions.tutors_any_group(user),
        }
    }
