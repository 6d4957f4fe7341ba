"""Every URL of the app, for every role, for a user of another clinic and for an anonymous
visitor: the exact answer, and never another clinic's or another patient's data in the body."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from b12clinic.core.api_tokens import api_token_create, api_token_revoke
from tests.conftest import make_user

ROLES = ("anonymous", "clinician", "nurse", "patient", "clinic_admin", "outsider")
LOGIN = "login"  # a 302 to the login page


def row(anonymous, clinician, nurse, patient, clinic_admin, outsider):
    return dict(
        zip(ROLES, (anonymous, clinician, nurse, patient, clinic_admin, outsider), strict=True)
    )


STAFF_ONLY = row(LOGIN, 200, 200, 403, 403, 404)  # an object of clinic A
CLINICIAN_ONLY = row(LOGIN, 200, 403, 403, 403, 404)
STAFF_LIST = row(LOGIN, 200, 200, 403, 403, 200)  # each sees their own clinics
PUBLIC = row(200, 200, 200, 200, 200, 200)
POST_ONLY_CLINICIAN = row(LOGIN, 405, 403, 403, 403, 405)
POST_ONLY_STAFF = row(LOGIN, 405, 405, 403, 403, 405)

# Route name → (path arguments, expected answer per role).
MATRIX: dict[str, tuple[tuple[str, ...], dict[str, object]]] = {
    "home": ((), row(LOGIN, 302, 302, 302, 302, 302)),
    "favicon": ((), row(301, 301, 301, 301, 301, 301)),
    "dashboard": ((), row(LOGIN, 200, 403, 403, 403, 200)),
    "login": ((), row(200, 302, 302, 302, 302, 302)),
    "logout": ((), row(405, 405, 405, 405, 405, 405)),
    "otp_verify": ((), row(LOGIN, 302, 302, 302, 302, 302)),
    "otp_setup": ((), row(LOGIN, 200, 200, 200, 200, 200)),
    "audit_list": ((), row(LOGIN, 403, 403, 403, 200, 403)),
    "audit_csv": ((), row(LOGIN, 403, 403, 403, 200, 403)),
    "plans:patient_list": ((), STAFF_LIST),
    "plans:patient_create": ((), row(LOGIN, 200, 403, 403, 403, 200)),
    "monitoring:patient_detail": (("patient_id",), STAFF_ONLY),
    "plans:patient_edit": (("patient_id",), CLINICIAN_ONLY),
    "plans:plan_create": (("patient_id",), CLINICIAN_ONLY),
    "plans:dose_as_read": ((), row(LOGIN, 200, 403, 403, 403, 200)),
    "monitoring:plan_detail": (("plan_id",), STAFF_ONLY),
    "plans:plan_amend": (("plan_id",), CLINICIAN_ONLY),
    "plans:plan_stop": (("plan_id",), CLINICIAN_ONLY),
    "plans:plan_end_loading": (("plan_id",), CLINICIAN_ONLY),
    "plans:today": ((), STAFF_LIST),
    "plans:today_csv": ((), STAFF_LIST),
    "plans:dose_give": (("dose_id",), STAFF_ONLY),
    "plans:dose_not_given": (("dose_id",), STAFF_ONLY),
    "plans:dose_given_outside": (("dose_id",), STAFF_ONLY),
    "plans:administration_correct": (("administration_id",), STAFF_ONLY),
    "plans:administration_void": (("administration_id",), STAFF_ONLY),
    # The patient of clinic A owns this plan: their own written schedule.
    "monitoring:plan_pdf": (("plan_id",), row(LOGIN, 200, 200, 200, 403, 404)),
    "monitoring:plan_ics": (("plan_id",), row(LOGIN, 200, 200, 200, 403, 404)),
    "monitoring:share_link_create": (("plan_id",), POST_ONLY_CLINICIAN),
    "monitoring:share_link_revoke": (("link_id",), POST_ONLY_CLINICIAN),
    "monitoring:shared_schedule": (("token",), PUBLIC),
    "monitoring:shared_pdf": (("token",), PUBLIC),
    "monitoring:shared_ics": (("token",), PUBLIC),
    "monitoring:me": ((), row(LOGIN, 403, 403, 200, 403, 403)),
    "monitoring:me_pdf": ((), row(LOGIN, 403, 403, 200, 403, 403)),
    "monitoring:me_ics": ((), row(LOGIN, 403, 403, 200, 403, 403)),
    "monitoring:me_checkin": ((), row(LOGIN, 403, 403, 200, 403, 403)),
    # The link in an injection reminder: the signed token is the key, no sign-in.
    "monitoring:checkin_link": (("checkin_token",), PUBLIC),
    "monitoring:me_calendar_new": ((), row(LOGIN, 403, 403, 405, 403, 403)),
    "monitoring:patient_calendar_new": (("patient_id",), POST_ONLY_STAFF),
    "monitoring:calendar_feed_revoke": (("feed_id",), row(LOGIN, 405, 405, 405, 403, 405)),
    # The calendar app's read: the secret is the key, and the file names no one.
    "monitoring:calendar_feed": (("secret",), PUBLIC),
    # The plan is not self-administered: not even its patient may record it at home.
    "plans:me_given_at_home": (("dose_id",), row(LOGIN, 403, 403, 404, 403, 403)),
    "monitoring:alert_acknowledge": (("alert_id",), CLINICIAN_ONLY),
    "monitoring:labs": (("patient_id",), STAFF_ONLY),
    "monitoring:lab_new": (("patient_id",), STAFF_ONLY),
    "monitoring:checkin_new": (("patient_id",), STAFF_ONLY),
    "monitoring:result_void": (("result_id",), STAFF_ONLY),
    "monitoring:recheck_cancel": (("recheck_id",), CLINICIAN_ONLY),
    "monitoring:recheck_add": (("plan_id",), POST_ONLY_CLINICIAN),
    "monitoring:reminders_failed": ((), STAFF_LIST),
    "monitoring:reminder_retry": (("reminder_id",), POST_ONLY_STAFF),
    "monitoring:reminder_opt_out": (("opt_out",), PUBLIC),
    # A text message's short stop link: on to the opt-out page, for whoever holds it.
    "monitoring:short_opt_out": (("short_code",), row(302, 302, 302, 302, 302, 302)),
    # FHIR: a session reads as a clinician; anyone else gets an OperationOutcome, never a login
    # page (tokens: test_api_tokens_read_their_own_clinic_only below).
    "monitoring:fhir_metadata": ((), PUBLIC),
    # Results in: a machine's POST with its token (tests/monitoring/test_fhir_in.py).
    "monitoring:fhir_bundle_in": ((), row(405, 405, 405, 405, 405, 405)),
    "monitoring:fhir_report_in": ((), row(405, 405, 405, 405, 405, 405)),
    # Laboratory messages: the review queue and the upload are a clinician's.
    "monitoring:lab_messages": ((), row(LOGIN, 200, 403, 403, 403, 200)),
    "monitoring:lab_messages_upload": ((), row(LOGIN, 200, 403, 403, 403, 200)),
    "monitoring:lab_message_match": (("message_id",), POST_ONLY_CLINICIAN),
    "monitoring:lab_message_reject": (("message_id",), POST_ONLY_CLINICIAN),
    # Recall by batch: clinicians and clinic admins, each for their own clinics.
    "monitoring:recall": ((), row(LOGIN, 200, 403, 403, 200, 200)),
    "monitoring:recall_csv": ((), row(LOGIN, 302, 403, 403, 302, 302)),
    "monitoring:recall_send": ((), row(LOGIN, 405, 403, 403, 405, 405)),
    # Stock of batches: a clinic's nurses, clinicians and admins, each for their own clinics.
    "plans:stock": ((), row(LOGIN, 200, 200, 403, 200, 200)),
    "plans:stock_new": ((), row(LOGIN, 200, 200, 403, 200, 200)),
    "plans:stock_withdraw": (("stock_id",), row(LOGIN, 200, 200, 403, 200, 404)),
    "monitoring:fhir_patient_search": ((), row(401, 400, 403, 403, 403, 400)),
    "monitoring:fhir_patient": (("patient_id",), row(401, 200, 403, 403, 403, 404)),
    "monitoring:fhir_patient_everything": (("patient_id",), row(401, 200, 403, 403, 403, 404)),
}
FHIR_READS = ("monitoring:fhir_patient", "monitoring:fhir_patient_everything")
SKIPPED = {"healthz"}  # ops: answers 200 or 503 by service state (tests/b12clinic/test_healthz.py)


def _routes(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's own, guarded by is_staff
            yield from _routes(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_the_matrix_covers_every_url_of_the_app():
    routes = set(_routes(get_resolver().url_patterns))
    assert routes - SKIPPED == set(MATRIX)


CASES = [(name, role) for name in MATRIX for role in ROLES]


@pytest.mark.parametrize("name, role", CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_each_role_gets_exactly_the_expected_answer(world, client, name, role):
    arguments, expected = MATRIX[name]
    url = reverse(name, args=[world.ids[a] for a in arguments])
    if role != "anonymous":
        client.force_login(world.users[role])
    response = client.get(url)
    want = expected[role]
    if want == LOGIN:
        assert response.status_code == 302, (url, role, response.status_code)
        assert response["Location"].startswith(reverse("login")), response["Location"]
    else:
        assert response.status_code == want, (url, role, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    if role != "outsider":
        assert "Outsiderpatient" not in text and "OTHER-1" not in text
    # A share link shows its own patient to whoever holds it; nothing else shows ours.
    public = name.startswith(
        ("monitoring:shared", "monitoring:reminder_opt_out", "monitoring:checkin_link")
    )
    if role in ("outsider", "anonymous") and not public:
        assert "Quinn" not in text and "RX1001" not in text
    if role == "patient" or name.startswith("monitoring:shared"):
        assert "Bystander" not in text and "RX1002" not in text


@pytest.mark.parametrize("name", FHIR_READS)
@pytest.mark.parametrize("holder", ["own clinic", "other clinic", "revoked"])
def test_api_tokens_read_their_own_clinic_only(world, client, clinic, other_clinic, name, holder):
    boss = make_user(f"boss-{holder}", "clinic_admin", clinic=other_clinic, is_superuser=True)
    made = api_token_create(
        clinic=other_clinic if holder == "other clinic" else clinic,
        name=holder,
        by=boss,
        now=timezone.now(),
    )
    if holder == "revoked":
        api_token_revoke(token=made.token, by=boss, now=timezone.now())
    url = reverse(name, args=[world.ids["patient_id"]])
    response = client.get(url, headers={"Authorization": f"Bearer {made.secret}"})
    want = {"own clinic": 200, "other clinic": 404, "revoked": 401}[holder]
    assert response.status_code == want
    text = response.content.decode()
    assert "Outsiderpatient" not in text and "OTHER-1" not in text
    if holder != "own clinic":
        assert "Quinn" not in text and "RX1001" not in text
