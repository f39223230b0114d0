"""Which sign-in provider's user each account is: the provider's own id for them, never
their user name.

A provider's user name is not proof of anything here: an OpenID provider where anyone may
register, or a directory entry named `admin`, would otherwise sign in as the local account
of that name. So an account is found by (provider, subject) only, and an account made by
a provider is linked to it once, when it is made; a local account becomes a provider's
only when an administrator links it (the user's admin page, or `manage.py link_identity`).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

LDAP = "ldap"


def oidc_provider(issuer: str) -> str:
    """The `provider` of an OpenID Connect issuer's identities: "oidc:<issuer URL>"."""
    return f"oidc:{issuer.rstrip('/')}"


class ProviderIdentity(models.Model):
    """One provider's user, and the account they sign in as."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_identities"
    )
    provider = models.CharField(
        max_length=255,
        help_text='"ldap", or "oidc:" followed by the issuer URL.',
    )
    subject = models.CharField(
        max_length=500,
        help_text="The provider's id for the user: the OpenID Connect `sub`, or the "
        "directory entry's DN (in lower case).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "sign-in provider identity"
        verbose_name_plural = "sign-in provider identities"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="provider_identity_subject"
            ),
            # One account is at most one user of each provider: two directory entries
            # sharing an account would share its runs and tokens.
            models.UniqueConstraint(fields=["user", "provider"], name="provider_identity_user"),
        ]

    def __str__(self):
        return f"{self.provider} {self.subject}"

    def signed_in(self):
        """Note a sign-in through this identity (its own column only)."""
        now = timezone.now()
        ProviderIdentity.objects.filter(pk=self.pk).update(last_sign_in_at=now)
        self.last_sign_in_at = now
