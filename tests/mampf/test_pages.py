"""Catalogue pages as a person meets them: login, logout, start page, lecture, profile, errors."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from mampf.models import User
from rosters.models import RosterEntry
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

PASSWORD = "secret-pass-123"


@pytest.fixture
def realistic_lecture():
    """8 tutorials of 25 with a tutor each, a talk, a cohort, an exam, 150 students on roster."""
    lecture = LectureFactory(title="Linear Algebra")
    lecture.editors.add(UserFactory(name="Editor"))
    tutors = UserFactory.create_batch(8)
    tutorials = [
        TutorialFactory(lecture=lecture, title=f"Tutorial {letter}", tutors=[tutor])
        for letter, tutor in zip("ABCDEFGH", tutors, strict=True)
    ]
    TalkFactory(lecture=lecture)
    CohortFactory(lecture=lecture, title="Repeaters", propagate_to_lecture=True)
    ExamFactory(lecture=lecture)
    students = User.objects.bulk_create(UserFactory.build_batch(150))
    entries = [RosterEntry(registerable_id=lecture.pk, user=s) for s in students]
    entries += [
        RosterEntry(registerable_id=tutorials[index % 8].pk, user=student)
        for index, student in enumerate(students)
    ]
    RosterEntry.objects.bulk_create(entries)
    return {"lecture": lecture, "tutorials": tutorials, "tutors": tutors, "students": students}


# -- login and logout -----------------------------------------------------------------------


def test_login_page_renders(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_login_with_right_credentials_goes_to_the_start_page(client):
    UserFactory(email="ada@example.org")

    response = client.post(reverse("login"), {"username": "ada@example.org",
                                              "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_login_with_wrong_password_says_so_without_telling_which_part_was_wrong(client):
    UserFactory(email="ada@example.org")

    response = client.post(reverse("login"), {"username": "ada@example.org",
                                              "password": "wrong"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "do not match an account" in body
    assert 'role="alert"' in body
    assert "_auth_user_id" not in client.session


def test_login_with_unknown_address_gets_the_same_message(client):
    response = client.post(reverse("login"), {"username": "nobody@example.org",
                                              "password": PASSWORD})

    assert "do not match an account" in response.content.decode()


def test_login_with_malformed_address_is_a_form_error_not_a_crash(client):
    response = client.post(reverse("login"), {"username": "not-an-address", "password": "x"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_needs_post_and_logs_out(client):
    client.force_login(UserFactory())

    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_anonymous_visitor_is_sent_to_login(client):
    for url in (reverse("home"), reverse("profile"), reverse("lecture_detail", args=[1])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# -- error pages ----------------------------------------------------------------------------


def test_student_on_a_lecture_page_gets_the_403_page(client):
    lecture = LectureFactory()
    client.force_login(UserFactory())

    response = client.get(reverse("lecture_detail", args=[lecture.pk]))

    assert response.status_code == 403
    assert "Access denied" in response.content.decode()


def test_teacher_of_another_lecture_gets_403(client):
    lecture = LectureFactory()
    client.force_login(LectureFactory().teacher)

    assert client.get(reverse("lecture_detail", args=[lecture.pk])).status_code == 403


def test_student_on_the_admin_site_is_sent_to_the_admin_login(client):
    client.force_login(UserFactory())

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_unknown_page_gets_the_404_page(client):
    client.force_login(UserFactory())

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_unknown_lecture_is_404_even_for_site_staff(client):
    client.force_login(StaffFactory())

    assert client.get(reverse("lecture_detail", args=[987654])).status_code == 404


def test_a_tutorial_id_is_not_a_lecture(client):
    tutorial = TutorialFactory()
    client.force_login(StaffFactory())

    assert client.get(reverse("lecture_detail", args=[tutorial.pk])).status_code == 404


def test_server_error_page_renders_without_any_context():
    html = render_to_string("500.html")

    assert "Something went wrong" in html


# -- start page for each role ---------------------------------------------------------------


def test_home_for_a_student_shows_their_groups_and_the_profile_hint(client, realistic_lecture):
    student = realistic_lecture["students"][0]
    client.force_login(student)

    body = client.get(reverse("home")).content.decode()

    assert "Tutorial A" in body
    assert "Linear Algebra" in body
    assert reverse("profile") in body
    assert "Add your university e-mail address" in body
    assert "Lectures you manage" not in body
    assert reverse("admin:index") not in body


def test_home_for_a_student_with_university_address_has_no_hint(client):
    client.force_login(UserFactory(institutional_email="ab1@stud.uni-heidelberg.de"))

    body = client.get(reverse("home")).content.decode()

    assert "Add your university e-mail address" not in body
    assert "ab1@stud.uni-heidelberg.de" in body


def test_home_for_a_tutor_lists_the_tutorials_they_teach(client, realistic_lecture):
    client.force_login(realistic_lecture["tutors"][1])

    body = client.get(reverse("home")).content.decode()

    assert "Tutorials I teach" in body
    assert "Tutorial B" in body
    assert "Lectures you manage" not in body


@pytest.mark.parametrize("role", ["teacher", "editor", "site_staff"])
def test_home_for_managers_links_their_lectures(client, realistic_lecture, role):
    lecture = realistic_lecture["lecture"]
    user = {
        "teacher": lecture.teacher,
        "editor": lecture.editors.get(),
        "site_staff": StaffFactory(),
    }[role]
    client.force_login(user)

    body = client.get(reverse("home")).content.decode()

    assert "Lectures you manage" in body
    assert reverse("lecture_detail", args=[lecture.pk]) in body
    assert (reverse("admin:index") in body) is (role == "site_staff")


def test_home_for_a_manager_skips_the_student_cards_unless_they_are_on_a_roster(client):
    lecture = LectureFactory()
    client.force_login(lecture.teacher)

    assert "My groups" not in client.get(reverse("home")).content.decode()

    RosterEntry.objects.create(registerable=TutorialFactory(), user=lecture.teacher)

    assert "My groups" in client.get(reverse("home")).content.decode()


def test_home_for_a_teacher_does_not_list_other_lectures(client):
    mine, other = LectureFactory(title="Mine"), LectureFactory(title="Someone else's")
    client.force_login(mine.teacher)

    body = client.get(reverse("home")).content.decode()

    assert reverse("lecture_detail", args=[mine.pk]) in body
    assert reverse("lecture_detail", args=[other.pk]) not in body


@pytest.mark.parametrize("role", ["teacher", "editor", "site_staff"])
def test_lecture_detail_for_managers(client, realistic_lecture, role):
    lecture = realistic_lecture["lecture"]
    user = {"teacher": lecture.teacher, "editor": lecture.editors.get(),
            "site_staff": StaffFactory()}[role]
    client.force_login(user)

    response = client.get(reverse("lecture_detail", args=[lecture.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Tutorial H" in body
    assert "19 / 25" in body  # 150 students over 8 tutorials: A..F get 19, G and H 18
    assert "150 students" in body


def test_tutor_cannot_open_the_lecture_overview(client, realistic_lecture):
    client.force_login(realistic_lecture["tutors"][0])

    response = client.get(reverse("lecture_detail", args=[realistic_lecture["lecture"].pk]))

    assert response.status_code == 403


# -- query bounds ---------------------------------------------------------------------------


def test_home_query_count_is_bounded(client, realistic_lecture, django_assert_max_num_queries):
    for user in (realistic_lecture["lecture"].teacher, realistic_lecture["tutors"][0],
                 realistic_lecture["students"][0], StaffFactory()):
        client.force_login(user)
        with django_assert_max_num_queries(16):
            assert client.get(reverse("home")).status_code == 200


def test_lecture_detail_query_count_is_bounded(client, realistic_lecture,
                                               django_assert_max_num_queries):
    client.force_login(realistic_lecture["lecture"].teacher)
    url = reverse("lecture_detail", args=[realistic_lecture["lecture"].pk])

    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200


# -- profile --------------------------------------------------------------------------------


def test_profile_shows_the_current_values(client):
    user = UserFactory(name="Ada Lovelace", institutional_email="al1@stud.uni-heidelberg.de")
    client.force_login(user)

    body = client.get(reverse("profile")).content.decode()

    assert "Ada Lovelace" in body
    assert "al1@stud.uni-heidelberg.de" in body
    assert user.email in body


def test_profile_edit_saves_name_and_university_address(client):
    user = UserFactory(name="Ada")
    client.force_login(user)

    response = client.post(
        reverse("profile"),
        {"name": "  Ada   Lovelace ", "institutional_email": " AL1@Stud.Uni-Heidelberg.de "},
        follow=True,
    )

    user.refresh_from_db()
    assert response.redirect_chain == [(reverse("profile"), 302)]
    assert "Your profile has been saved." in response.content.decode()
    assert user.name == "Ada Lovelace"
    assert user.institutional_email == "al1@stud.uni-heidelberg.de"


def test_profile_edit_can_clear_the_university_address(client):
    user = UserFactory(institutional_email="al1@stud.uni-heidelberg.de")
    client.force_login(user)

    client.post(reverse("profile"), {"name": user.name, "institutional_email": ""})

    user.refresh_from_db()
    assert user.institutional_email is None


def test_profile_edit_refuses_an_invalid_address(client):
    user = UserFactory(name="Ada")
    client.force_login(user)

    response = client.post(reverse("profile"), {"name": "Changed", "institutional_email":
                                                "not an address"})

    user.refresh_from_db()
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert user.name == "Ada"
    assert user.institutional_email is None


@pytest.mark.parametrize("field", ["institutional_email", "email"])
def test_profile_edit_refuses_an_address_of_another_user(client, field):
    UserFactory(**{field: "taken@stud.uni-heidelberg.de"})
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("profile"),
        {"name": user.name, "institutional_email": "Taken@stud.uni-heidelberg.de"},
    )

    user.refresh_from_db()
    assert response.status_code == 200
    assert "already belongs to another account" in response.content.decode()
    assert user.institutional_email is None


def test_profile_edit_refuses_an_empty_name(client):
    user = UserFactory(name="Ada")
    client.force_login(user)

    response = client.post(reverse("profile"), {"name": "   ", "institutional_email": ""})

    user.refresh_from_db()
    assert response.status_code == 200
    assert user.name == "Ada"


def test_profile_ignores_fields_it_does_not_offer(client):
    user = UserFactory()
    client.force_login(user)

    client.post(reverse("profile"), {"name": "Ada", "institutional_email": "",
                                     "is_staff": "on", "email": "evil@example.org"})

    user.refresh_from_db()
    assert user.name == "Ada"
    assert not user.is_staff
    assert user.email != "evil@example.org"


@pytest.mark.parametrize("is_superuser", [True, False])
def test_lecture_detail_links_the_admin_only_for_staff_who_may_edit_there(client, is_superuser):
    lecture = LectureFactory()
    client.force_login(StaffFactory(is_superuser=is_superuser))

    body = client.get(reverse("lecture_detail", args=[lecture.pk])).content.decode()

    assert (reverse("admin:mampf_lecture_change", args=[lecture.pk]) in body) is is_superuser


def test_lecture_overview_with_an_id_beyond_the_database_is_a_404(client):
    client.force_login(StaffFactory())
    assert client.get("/lectures/99999999999999999999999/").status_code == 404
