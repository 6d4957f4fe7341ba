"""`{% link %}` gives what `{% url %}` gives, without reversing on every row."""

import uuid

import pytest
from django.core import signing
from django.template import Context, Template
from django.urls import clear_script_prefix, reverse, set_script_prefix
from hypothesis import given
from hypothesis import strategies as st

from b12clinic.core.links import link_to, token_link


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


TOKEN_LINKS = ["monitoring:reminder_opt_out", "monitoring:checkin_link"]


@given(
    name=st.sampled_from(TOKEN_LINKS),
    payload=st.dictionaries(st.sampled_from("pcd"), st.text(max_size=40), max_size=3),
    compress=st.booleans(),
)
def test_a_signed_token_link_is_the_reversed_url(name, payload, compress):
    token = signing.dumps(payload, salt="links-test", compress=compress)
    assert token_link(name, token) == reverse(name, args=[token])


@given(name=st.sampled_from(TOKEN_LINKS), token=st.text(min_size=1, max_size=30))
def test_any_other_token_is_written_as_reverse_writes_it(name, token):
    try:
        expected = reverse(name, args=[token])
    except Exception as error:
        with pytest.raises(type(error)):
            token_link(name, token)
    else:
        assert token_link(name, token) == expected


def test_a_token_link_follows_the_script_prefix():
    token = signing.dumps({"p": "1"}, compress=True)
    plain = token_link("monitoring:reminder_opt_out", token)
    set_script_prefix("/clinic/")
    try:
        assert token_link("monitoring:reminder_opt_out", token) == "/clinic" + plain
    finally:
        clear_script_prefix()
    assert token_link("monitoring:reminder_opt_out", token) == plain
