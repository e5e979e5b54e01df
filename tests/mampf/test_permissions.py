"""Every role against every kind of object for every rule in mampf/permissions.py.

The expected tables list who is ALLOWED; everything not listed must be refused, so each table
tests the refusals as much as the grants.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from mampf import permissions
from mampf.models import Registerable
from tests.factories import (
    CohortFactory,
    ExamFactory,
    LectureFactory,
    StaffFactory,
    TalkFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "student",
    "tutor_a",
    "tutor_b",
    "teacher",
    "editor",
    "other_teacher",
    "site_staff",
    "inactive",
]
OBJECTS = ["lecture", "tutorial_a", "tutorial_b", "talk", "cohort", "exam"]
MANAGERS = {"teacher", "editor", "site_staff"}


@pytest.fixture
def world():
    """One lecture with every kind of group, a second lecture, and one user per role."""
    teacher = UserFactory(name="Teacher")
    editor = UserFactory(name="Editor")
    other_teacher = UserFactory(name="Other Teacher")
    tutor_a = UserFactory(name="Tutor A")
    tutor_b = UserFactory(name="Tutor B")
    # The inactive account holds every role; being inactive must outweigh all of them.
    inactive = StaffFactory(name="Inactive", is_active=False, is_superuser=True)
    lecture = LectureFactory(teacher=teacher)
    lecture.editors.add(editor, inactive)
    other_lecture = LectureFactory(teacher=other_teacher)
    tutorial_a = TutorialFactory(lecture=lecture, title="Tutorial A", tutors=[tutor_a, inactive])
    tutorial_b = TutorialFactory(lecture=lecture, title="Tutorial B", tutors=[tutor_b])
    users = {
        "anonymous": AnonymousUser(),
        "student": UserFactory(name="Student"),
        "tutor_a": tutor_a,
        "tutor_b": tutor_b,
        "teacher": teacher,
        "editor": editor,
        "other_teacher": other_teacher,
        "site_staff": StaffFactory(name="Site Staff"),
        "inactive": inactive,
    }
    objects = {
        "lecture": lecture,
        "tutorial_a": tutorial_a,
        "tutorial_b": tutorial_b,
        "talk": TalkFactory(lecture=lecture),
        "cohort": CohortFactory(lecture=lecture),
        "exam": ExamFactory(lecture=lecture),
    }
    return {"users": users, "objects": objects, "other_lecture": other_lecture}


def _table(allowed_by_role: dict[str, set[str]], role: str) -> dict[str, bool]:
    allowed = allowed_by_role.get(role, set())
    return {name: name in allowed for name in OBJECTS}


@pytest.mark.parametrize("role", ROLES)
def test_is_site_staff(world, role):
    assert permissions.is_site_staff(world["users"][role]) is (role == "site_staff")


@pytest.mark.parametrize("role", ROLES)
def test_can_manage_lecture(world, role):
    user = world["users"][role]

    assert permissions.can_manage_lecture(user, world["objects"]["lecture"]) is (role in MANAGERS)
    assert permissions.can_manage_lecture(user, world["other_lecture"]) is (
        role in {"other_teacher", "site_staff"}
    )


@pytest.mark.parametrize("role", ROLES)
def test_managed_lectures(world, role):
    lecture, other = world["objects"]["lecture"], world["other_lecture"]
    expected = {
        "teacher": {lecture.pk},
        "editor": {lecture.pk},
        "other_teacher": {other.pk},
        "site_staff": {lecture.pk, other.pk},
    }.get(role, set())

    managed = permissions.managed_lectures(world["users"][role])

    assert set(managed.values_list("pk", flat=True)) == expected
    assert managed.count() == len(expected)  # no duplicates from teacher + editor joins


@pytest.mark.parametrize("role", ROLES)
def test_manages_any_lecture(world, role):
    assert permissions.manages_any_lecture(world["users"][role]) is (
        role in MANAGERS | {"other_teacher"}
    )


@pytest.mark.parametrize("role", ROLES)
def test_is_tutor_of(world, role):
    user, objects = world["users"][role], world["objects"]

    assert permissions.is_tutor_of(user, objects["tutorial_a"]) is (role == "tutor_a")
    assert permissions.is_tutor_of(user, objects["tutorial_b"]) is (role == "tutor_b")


@pytest.mark.parametrize("role", ROLES)
def test_tutors_any_group(world, role):
    assert permissions.tutors_any_group(world["users"][role]) is (role in {"tutor_a", "tutor_b"})


CAN_VIEW_ROSTER = {
    **{role: set(OBJECTS) for role in MANAGERS},
    "tutor_a": {"tutorial_a"},
    "tutor_b": {"tutorial_b"},
}
CAN_EDIT_ROSTER = {role: set(OBJECTS) for role in MANAGERS}


@pytest.mark.parametrize("role", ROLES)
def test_can_view_roster(world, role):
    user = world["users"][role]

    actual = {
        name: permissions.can_view_roster(user, obj) for name, obj in world["objects"].items()
    }

    assert actual == _table(CAN_VIEW_ROSTER, role)


@pytest.mark.parametrize("role", ROLES)
def test_can_edit_roster(world, role):
    user = world["users"][role]

    actual = {
        name: permissions.can_edit_roster(user, obj) for name, obj in world["objects"].items()
    }

    assert actual == _table(CAN_EDIT_ROSTER, role)


@pytest.mark.parametrize("role", ROLES)
def test_roster_rules_on_rows_loaded_as_registerable(world, role):
    """Views often load a ``Registerable`` by id; the polymorphic manager gives the real kind."""
    user = world["users"][role]
    actual = {
        name: permissions.can_view_roster(user, Registerable.objects.get(pk=obj.pk))
        for name, obj in world["objects"].items()
    }

    assert actual == _table(CAN_VIEW_ROSTER, role)


@pytest.mark.parametrize("role", ROLES)
def test_roster_rules_on_bare_base_rows(world, role):
    """``non_polymorphic()`` or ``select_related("registerable")`` give base rows: same answers."""
    user = world["users"][role]
    actual = {
        name: permissions.can_view_roster(
            user, Registerable.objects.non_polymorphic().get(pk=obj.pk)
        )
        for name, obj in world["objects"].items()
    }

    assert actual == _table(CAN_VIEW_ROSTER, role)


@pytest.mark.parametrize("role", ROLES)
def test_can_view_user_data_of_a_student(world, role):
    student = world["users"]["student"]

    assert permissions.can_view_user_data(world["users"][role], student) is (
        role in {"student", "site_staff"}
    )


def test_a_student_cannot_view_another_students_data(world):
    other_student = UserFactory()

    assert not permissions.can_view_user_data(world["users"]["student"], other_student)


def test_require_passes_when_allowed_and_raises_permission_denied_otherwise():
    permissions.require(True)

    with pytest.raises(PermissionDenied):
        permissions.require(False)
