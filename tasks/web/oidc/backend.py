"""The OpenID Connect backend: mozilla-django-oidc's, with the checks it leaves out.

mozilla-django-oidc verifies the ID token's signature and nonce; it does not check the
issuer or the audience, and lets an expired token through as an exception that is no
sign-in error. Here (OpenID Connect Core 1.0, 3.1.3.7): the signature with the expected
algorithm, `iss` is the configured issuer, `aud` holds our client id (and `azp` names us
when there are several), `exp` and `iat` are present and `exp` is not past, and the
userinfo's `sub` is the ID token's. Users are found by (issuer, `sub`) through their
linked identity (tasks.services.identities), never by a user name or e-mail that a
provider's user may choose: a new user gets an account named after a configurable claim
(`preferred_username` by default), or `<name>@<issuer host>` when that name is taken.
They get their roles from the groups claim at each sign-in
(`tasks.access.provider_groups`).
"""

from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from tasks.access.provider_groups import apply_provider_groups, clean_names
from tasks.models.identity import oidc_provider
from tasks.services import identities
from tasks.web.oidc.discovery import SignInRefused, enabled, issuer, oidc_setting

# Seconds of clock difference allowed between this server and the provider.
LEEWAY = 60


def _setting(name):
    return property(lambda self: self.get_settings(name))


class OIDCBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(oidc_setting)

    # Read when used: Django builds every backend for each permission check, so building
    # this one must neither need the provider nor fetch its discovery document.
    OIDC_OP_TOKEN_ENDPOINT = _setting("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _setting("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _setting("OIDC_OP_JWKS_ENDPOINT")
    OIDC_RP_CLIENT_ID = _setting("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _setting("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = _setting("OIDC_RP_SIGN_ALGO")
    OIDC_RP_IDP_SIGN_KEY = None

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce; a password sign-in is not ours.
        if not enabled() or request is None or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        algorithm = self.OIDC_RP_SIGN_ALGO
        try:
            claims = jwt.decode(
                payload,
                key,
                algorithms=[algorithm],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=issuer(),
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise SignInRefused(
                "The sign-in provider's answer has expired. Sign in again; if this goes on, "
                "check the clocks of this server and the provider.",
                f"expired ID token: {error}",
            ) from error
        except jwt.InvalidIssuerError as error:
            raise SignInRefused(
                "The sign-in answer was not issued by the configured provider.",
                f"ID token issuer is {_unverified(payload, 'iss')!r}, expected {issuer()!r}",
            ) from error
        except jwt.InvalidAudienceError as error:
            raise SignInRefused(
                "The sign-in answer was issued for another application.",
                f"ID token audience is {_unverified(payload, 'aud')!r}, "
                f"expected {self.OIDC_RP_CLIENT_ID!r}",
            ) from error
        except jwt.InvalidTokenError as error:
            raise SignInRefused(
                "The sign-in provider's answer could not be verified.",
                f"ID token refused: {error}",
            ) from error
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SignInRefused(
                "The sign-in answer was issued for another application.",
                f"ID token azp is {claims.get('azp')!r} among audiences {audiences}",
            )
        return claims

    def verify_token(self, token, **kwargs):
        if not token:
            raise SignInRefused(
                "The sign-in provider sent no ID token.", "token response without id_token"
            )
        try:
            return super().verify_token(token, **kwargs)
        except SignInRefused:
            raise
        except SuspiciousOperation as error:  # mozilla's, for the nonce, the key, the alg
            if "Nonce" in str(error):
                raise SignInRefused(
                    "The sign-in answer does not belong to the sign-in started in this "
                    "browser. Start again from the sign-in page.",
                    f"ID token nonce does not match the session's: {error}",
                ) from error
            raise SignInRefused(
                "The sign-in provider's answer could not be verified.", f"ID token: {error}"
            ) from error

    def get_userinfo(self, access_token, id_token, payload):
        info = super().get_userinfo(access_token, id_token, payload)
        if info.get("sub") != payload.get("sub"):
            raise SignInRefused(
                "The sign-in provider's answer could not be verified.",
                f"userinfo sub {info.get('sub')!r} is not the ID token's {payload.get('sub')!r}",
            )
        # The ID token's claims, completed by userinfo (some providers put groups in one,
        # some in the other).
        return {**payload, **info}

    def verify_claims(self, claims):
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise SignInRefused("The sign-in provider did not say who you are.", "no 'sub' claim")
        if not self._username(claims):
            raise SignInRefused(
                "The sign-in provider did not say who you are. Ask an administrator to "
                f"release the '{settings.EXECUTOR_OIDC_USERNAME_CLAIM}' claim.",
                f"no {settings.EXECUTOR_OIDC_USERNAME_CLAIM!r} claim in {sorted(claims)}",
            )
        return True

    def _username(self, claims):
        value = claims.get(settings.EXECUTOR_OIDC_USERNAME_CLAIM)
        return value.strip()[:150] if isinstance(value, str) else ""

    def filter_users_by_claims(self, claims):
        user = identities.user_for(oidc_provider(issuer()), claims["sub"])
        return [user] if user is not None else []

    def create_user(self, claims):
        # No password: this account signs in through the provider only.
        user = identities.create_for(
            oidc_provider(issuer()),
            claims["sub"],
            self._username(claims),
            urlsplit(issuer()).hostname or "oidc",
        )
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        fields = {
            "email": claims.get("email"),
            "first_name": claims.get("given_name"),
            "last_name": claims.get("family_name"),
        }
        changed = []
        for name, value in fields.items():
            if isinstance(value, str) and getattr(user, name) != value[:150]:
                setattr(user, name, value[:150])
                changed.append(name)
        if changed:
            user.save(update_fields=changed)
        groups = clean_names(claims.get(settings.EXECUTOR_OIDC_GROUPS_CLAIM, []))
        apply_provider_groups(user, groups, source="oidc")
        return user


def _unverified(token, claim):
    try:
        return jwt.decode(token, options={"verify_signature": False}).get(claim)
    except jwt.InvalidTokenError:
        return None
