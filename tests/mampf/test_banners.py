"""mampf.banners: higher apps put a banner on every page of a lecture, for its staff only."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from mampf import banners
from tests.factories import LectureFactory, StaffFactory, TutorialFactory, UserFactory

pytestmark = pytest.mark.django_db

NAME = "tests.banner"


@pytest.fixture
def provider():
    calls = []

    def say_hello(request, lecture):
        calls.append(lecture.pk)
        return banners.Banner(message=f"Hello staff of {lecture.title}", link_url="/x/",
                              link_text="Act")

    banners.register_lecture_banner(say_hello, name=NAME)
    yield calls
    banners.unregister_lecture_banner(NAME)


def request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_staff_of_the_lecture_get_the_banners_others_nothing(provider):
    lecture = LectureFactory(title="Algebra")
    editor, student, other_teacher, site_staff = (UserFactory(), UserFactory(), UserFactory(),
                                                  StaffFactory())
    lecture.editors.add(editor)
    LectureFactory(teacher=other_teacher)
    tutor = UserFactory()
    TutorialFactory(lecture=lecture, tutors=[tutor])
    for user in (lecture.teacher, editor, site_staff):
        [banner] = banners.lecture_banners(request_for(user), lecture)
        assert banner.message == "Hello staff of Algebra"
    for user in (student, other_teacher, tutor):
        assert banners.lecture_banners(request_for(user), lecture) == []
    assert len(provider) == 3  # providers run only for staff


def test_no_lecture_no_banner(provider):
    assert banners.lecture_banners(request_for(UserFactory()), None) == []
    assert banners.lecture_banners(request_for(UserFactory()), "Algebra") == []
    assert provider == []


def test_a_failing_provider_is_left_out(provider):
    def broken(request, lecture):
        raise RuntimeError("boom")

    banners.register_lecture_banner(broken, name="tests.broken")
    try:
        lecture = LectureFactory()
        assert len(banners.lecture_banners(request_for(lecture.teacher), lecture)) == 1
    finally:
        banners.unregister_lecture_banner("tests.broken")


def test_registering_another_provider_under_a_taken_name_is_refused(provider):
    with pytest.raises(ValueError):
        banners.register_lecture_banner(lambda request, lecture: None, name=NAME)


def test_lecture_page_shows_the_banner_to_its_teacher(client, provider):
    lecture = LectureFactory(title="Topology")
    client.force_login(lecture.teacher)
    response = client.get(reverse("lecture_detail", args=[lecture.pk]))
    html = response.content.decode()
    assert "Hello staff of Topology" in html
    assert 'aria-label="Notices for this lecture"' in html
    assert '<a href="/x/">Act</a>' in html


def test_students_pay_no_query_for_the_banner(client, provider, django_assert_num_queries):
    """A student's page with a ``lecture`` in its context: same queries with or without a
    provider, because the navigation's role flags (read anyway) say they manage nothing."""
    lecture = LectureFactory()
    student = UserFactory()
    client.force_login(student)
    url = reverse("assessment:pages_my_results", args=[lecture.pk])
    client.get(url)  # warm-up
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as with_provider:
        assert "Hello staff" not in client.get(url).content.decode()
    banners.unregister_lecture_banner(NAME)
    with CaptureQueriesContext(connection) as without:
        client.get(url)
    assert len(with_provider) == len(without)
    assert provider == []
