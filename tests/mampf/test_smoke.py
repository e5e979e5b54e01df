import pytest

from tests.factories import (
    CampaignFactory,
    CohortFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    PolicyFactory,
    StaffFactory,
    TalkFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "factory",
    [UserFactory, StaffFactory, LectureFactory, TutorialFactory, TalkFactory, CohortFactory,
     ExamFactory, CampaignFactory, ItemFactory, PolicyFactory],
)
def test_every_factory_builds_a_valid_object_without_arguments(factory):
    obj = factory()
    # The campaign's FSM status is protected: only transitions may set it.
    obj.full_clean(exclude=["status"])
    assert obj.pk
