import pytest

from gridgov.accounts import scope


@pytest.mark.django_db
def test_scope_of_township_staff(territory, make_user):
    user = make_user("township_staff", "411302001")
    assert scope.scope_codes(user) == ["411302001"]
    assert scope.in_scope(user, "411302001002003")
    assert not scope.in_scope(user, "411302002001001")
    from gridgov.territory.models import Region

    visible = set(Region.objects.visible_to(user).values_list("code", flat=True))
    assert "411302001" in visible and "411302002" not in visible and "4113" not in visible
