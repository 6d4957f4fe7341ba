"""Generated junk into every form of the app, as a user allowed to use it: never a server
error, never a half-saved record, and whatever is stored is escaped when shown."""

import re

import pytest
from django.apps import apps
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MARK = '<script>alert("b12")</script>'
junk_text = st.one_of(
    st.just(""),
    st.just(" "),
    st.just("0"),
    st.just("-1"),
    st.just("-99999999999999999999"),
    st.just("1e400"),
    st.just("NaN"),
    st.just("9" * 60),
    st.just("x" * 5000),
    st.just(MARK),
    st.just("'; DROP TABLE plans_patient; --"),
    st.just("2026-02-30"),
    st.just("0000-00-00"),
    st.just("9999-12-31T23:59"),
    st.just("\x00"),
    st.just("Ünïcødé ✓ 💉 ﷽"),
    st.just("[]"),
    st.just('{"a": 1}'),
    st.text(max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)

# Every form page, who may use it, and where what it stores is shown.
FORMS = [
    ("plans:patient_create", (), "clinician"),
    ("plans:patient_edit", ("patient_id",), "clinician"),
    ("plans:plan_create", ("patient_id",), "clinician"),
    ("plans:plan_amend", ("plan_id",), "clinician"),
    ("plans:plan_stop", ("plan_id",), "clinician"),
    ("plans:plan_end_loading", ("plan_id",), "clinician"),
    ("plans:dose_give", ("dose_id",), "nurse"),
    ("plans:dose_not_given", ("dose_id",), "nurse"),
    ("plans:dose_given_outside", ("dose_id",), "nurse"),
    ("plans:administration_correct", ("administration_id",), "nurse"),
    ("plans:administration_void", ("administration_id",), "nurse"),
    ("monitoring:alert_acknowledge", ("alert_id",), "clinician"),
    ("monitoring:lab_new", ("patient_id",), "nurse"),
    ("monitoring:checkin_new", ("patient_id",), "nurse"),
    ("monitoring:result_void", ("result_id",), "clinician"),
    ("monitoring:recheck_cancel", ("recheck_id",), "clinician"),
    ("monitoring:recheck_add", ("plan_id",), "clinician"),
    ("monitoring:share_link_create", ("plan_id",), "clinician"),
    ("audit_list", (), "clinic_admin"),
    ("login", (), None),
    ("otp_verify", (), "clinician"),
]
SHOWN_ON = ["monitoring:patient_detail", "monitoring:plan_detail", "monitoring:labs"]
FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', re.I)


def clinical_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("plans", "monitoring")
        for model in apps.get_app_config(app).get_models()
    }


def field_names(html: str) -> list[str]:
    return sorted({n for n in FIELD.findall(html) if n != "csrfmiddlewaretoken"})


@pytest.mark.parametrize("name, arguments, role", FORMS, ids=[f[0] for f in FORMS])
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_junk_never_breaks_a_form(world, client, name, arguments, role, data):
    if role:
        client.force_login(world.users[role])
    url = reverse(name, args=[world.ids[a] for a in arguments])
    page = client.get(url)
    fields = field_names(page.content.decode()) if page.status_code == 200 else []
    fields = fields or ["reason", "note", "days", "kind", "due_date"]
    payload = {field: data.draw(junk_text, label=field) for field in fields}
    before = clinical_counts()
    method = client.get if name == "audit_list" else client.post
    response = method(url, payload)
    assert response.status_code < 500, (name, payload)
    if response.status_code == 200 and name != "audit_list":
        # The form came back with its errors: nothing was saved, not even in part.
        assert clinical_counts() == before, (name, payload)
    body = response.content.decode("utf-8", "replace")
    assert MARK not in body, (name, "unescaped")
    if role in ("clinician", "nurse"):
        for shown in SHOWN_ON:
            argument = (
                "patient_id" if "patient" in shown or shown == "monitoring:labs" else "plan_id"
            )
            text = client.get(reverse(shown, args=[world.ids[argument]])).content.decode()
            assert MARK not in text, (shown, "unescaped stored text")
