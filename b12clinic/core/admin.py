"""The admin site: a clinic admin manages their own clinics' staff, ranges and settings, and
nothing more. Every change made here goes into the hash-chained audit, in the admin's own
transaction."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group, User
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from . import api_tokens
from .access import administered_clinics
from .audit import audit, request_ip
from .models import Action, ApiToken, Clinic
from .roles import CLINICIAN, NURSE

admin.site.unregister(User)
admin.site.unregister(Group)


def admin_audit_details(obj: Model) -> dict[str, Any]:
    """What an audit row keeps of an object changed in the admin, beyond the admin's message."""
    if isinstance(obj, User):
        return {
            "username": obj.username,
            "groups": sorted(obj.groups.values_list("name", flat=True)),
            "is_active": obj.is_active,
            "is_staff": obj.is_staff,
            "is_superuser": obj.is_superuser,
            "clinics": sorted(str(pk) for pk in obj.clinics.values_list("pk", flat=True)),
        }
    if isinstance(obj, Group):
        return {"permissions": sorted(obj.permissions.values_list("codename", flat=True))}
    staff = getattr(obj, "staff", None)
    if staff is not None and hasattr(staff, "values_list"):
        return {"staff": sorted(staff.values_list("username", flat=True))}
    return {
        field.name: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if not field.primary_key
    }


class AuditedAdmin(admin.ModelAdmin):
    """Adds each admin add, change and deletion to the audit trail (Django's LogEntry alone
    is neither chained nor shown to the clinic)."""

    def _audit(self, request: HttpRequest, obj: Model, action: Action, message: Any) -> None:
        verb = {Action.CREATE: "added", Action.CHANGE: "changed", Action.DELETE: "deleted"}
        audit(
            actor=request.user,  # type: ignore[arg-type]
            action=action,
            obj=obj,
            clinic=obj if isinstance(obj, Clinic) else None,
            summary=f"Admin: {obj._meta.verbose_name} {obj} {verb[action]}",
            changes={"admin": message, **admin_audit_details(obj)},
            ip=request_ip(request),
        )

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._audit(request, obj, Action.CREATE, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._audit(request, obj, Action.CHANGE, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._audit(request, obj, Action.DELETE, "deleted")
        return super().log_deletions(request, queryset)


class ClinicStaffCreationForm(AdminUserCreationForm):
    """A clinic admin's new user joins one of their clinics with a staff role."""

    clinic: forms.ModelChoiceField[Clinic] = forms.ModelChoiceField(
        queryset=Clinic.objects.none(), help_text="The clinic this person works in."
    )
    role = forms.ChoiceField(choices=[(NURSE, "Nurse"), (CLINICIAN, "Clinician")])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = self.clinics  # type: ignore[attr-defined]


@admin.register(User)
class ClinicUserAdmin(AuditedAdmin, UserAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        own = administered_clinics(request.user)
        elsewhere = Clinic.objects.exclude(pk__in=own.values("pk"))
        # Staff and patients of the admin's clinics, and no one who also belongs to a clinic
        # they do not administer: that clinic's admin answers for them.
        return (
            users.filter(Q(clinics__in=own) | Q(patient_record__clinic__in=own))
            .exclude(is_superuser=True)
            .exclude(clinics__in=elsewhere)
            .exclude(patient_record__clinic__in=elsewhere)
            .distinct()
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser and obj is not None:
            # Roles, admin-site access and raw permissions are the superuser's to hand out.
            fields += ["is_superuser", "is_staff", "user_permissions", "groups"]
        return fields

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None and not request.user.is_superuser:
            return (
                (None, {"fields": ("username", "usable_password", "password1", "password2")}),
                ("Clinic", {"fields": ("clinic", "role")}),
            )
        return super().get_fieldsets(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None and not request.user.is_superuser:
            kwargs["form"] = type(
                "ClinicStaffCreationForm",
                (ClinicStaffCreationForm,),
                {"clinics": administered_clinics(request.user)},
            )
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change and "clinic" in form.cleaned_data:
            form.cleaned_data["clinic"].staff.add(obj)
            obj.groups.add(Group.objects.get(name=form.cleaned_data["role"]))


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    pass


@admin.register(Clinic)
class ClinicAdmin(AuditedAdmin):
    list_display = ["name", "time_zone", "country", "phone"]
    search_fields = ["name"]
    filter_horizontal = ["staff"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Clinic]:
        clinics = super().get_queryset(request)
        if request.user.is_superuser:
            return clinics
        return clinics.filter(pk__in=administered_clinics(request.user))

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "staff" and not request.user.is_superuser:
            # People already in the admin's clinics (new ones join one when they are added):
            # never someone from elsewhere.
            kwargs["queryset"] = User.objects.filter(
                clinics__in=administered_clinics(request.user)
            ).distinct()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ApiTokenCreationForm(forms.ModelForm):
    valid_for_days = forms.IntegerField(
        min_value=1,
        max_value=api_tokens.MAX_DAYS,
        initial=365,
        help_text=f"At most {api_tokens.MAX_DAYS} days; make a new token before it runs out.",
    )

    class Meta:
        model = ApiToken
        fields = ["clinic", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made and revoked here, never edited or deleted. The services audit both; the
    audit names each read by the token that made it."""

    list_display = ["name", "clinic", "shown", "created_at", "expires_at", "state", "last_used_at"]
    list_filter = ["clinic"]
    actions = ["revoke"]
    readonly_fields = [
        "clinic",
        "name",
        "shown",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "revoked_by",
        "last_used_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        tokens = super().get_queryset(request).select_related("clinic")
        if request.user.is_superuser:
            return tokens
        return tokens.filter(clinic__in=administered_clinics(request.user))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.readonly_fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiTokenCreationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["clinic", "name", "valid_for_days"]
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = administered_clinics(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="state")
    def state(self, obj: ApiToken) -> str:
        return obj.state(timezone.now())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return  # nothing of a token changes but its revocation, the action below
        made = api_tokens.api_token_create(
            clinic=form.cleaned_data["clinic"],
            name=form.cleaned_data["name"],
            by=request.user,  # type: ignore[arg-type]
            now=timezone.now(),
            days=form.cleaned_data["valid_for_days"],
        )
        obj.pk = made.token.pk
        obj.refresh_from_db()
        messages.warning(
            request,
            f"The token for “{obj.name}” is {made.secret} . Copy it into that system now: it "
            "is shown only this once, and only its hash is kept.",
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        now = timezone.now()
        for token in queryset.filter(revoked_at__isnull=True):
            api_tokens.api_token_revoke(token=token, by=request.user, now=now)  # type: ignore[arg-type]
        messages.success(request, "The selected tokens are revoked: they read nothing from now.")
