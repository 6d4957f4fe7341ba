"""`{% link %}` gives what `{% url %}` gives, without reversing on every row."""

import uuid

import pytest
from django.template import Context, Template
from django.urls import clear_script_prefix, reverse, set_script_prefix

from b12clinic.core.links import link_to


@pytest.mark.parametrize(
    "name",
    ["plans:dose_give", "plans:dose_not_given", "monitoring:patient_detail"],
)
def test_a_link_is_the_reversed_url_of_each_key(name):
    keys = [uuid.uuid4() for _ in range(3)]
    assert [link_to(name, key) for key in keys] == [reverse(name, args=[key]) for key in keys]


def test_a_link_follows_the_script_prefix_of_the_request():
    key = uuid.uuid4()
    plain = link_to("plans:dose_give", key)
    set_script_prefix("/clinic/")
    try:
        assert link_to("plans:dose_give", key) == "/clinic" + plain
        assert link_to("plans:dose_give", key) == reverse("plans:dose_give", args=[key])
    finally:
        clear_script_prefix()
    assert link_to("plans:dose_give", key) == plain


def test_a_key_that_is_not_a_uuid_is_reversed_as_url_would():
    with pytest.raises(Exception) as error:
        link_to("plans:dose_give", "not-a-uuid")
    assert "NoReverseMatch" in type(error.value).__name__


def test_the_tag_renders_in_a_template():
    key = uuid.uuid4()
    html = Template("{% load links %}<a href=\"{% link 'plans:dose_give' key %}\">").render(
        Context({"key": key})
    )
    assert html == f'<a href="{reverse("plans:dose_give", args=[key])}">'
