"""How the client proves who it is: an incoming webhook, or a local application's OAuth tokens.

* Webhook: ``https://PORTAL/rest/USER_ID/CODE/`` — the code is the secret, in the URL path.
* OAuth local application: client id + secret + refresh token. The access token is sent as
  ``auth``; on ``expired_token`` the client refreshes once at the token endpoint (default: the real
  Bitrix24 OAuth server) and retries. Every refresh returns a new refresh token; ``on_refresh``
  hands it to the caller to persist, because the old one may stop working.

Only HTTPS is accepted, except plain HTTP to a loopback host (the sandbox on 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from b24cfg.errors import ConfigError
from b24cfg.portal.errors import AuthError, TransportError, from_answer, mask, register_secret

DEFAULT_TOKEN_URL = "https://oauth.bitrix.info/oauth/token/"


def require_secure(url: str, what: str = "portal URL") -> None:
    """Refuse anything but https://, or http:// to 127.0.0.0/8, ::1 or localhost."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        if host == "localhost":
            return
        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            pass
        raise ConfigError(
            f"Refusing plain http:// for the {what} {mask(url)}: credentials would travel unencrypted. "
            "Use https:// (http:// is allowed only for loopback hosts such as the local sandbox)."
        )
    raise ConfigError(f"The {what} {mask(url)} is not an http(s) URL.")


class WebhookAuth:
    """Incoming-webhook credentials parsed from the webhook URL."""

    kind = "webhook"

    def __init__(self, url: str) -> None:
        match = re.fullmatch(r"(https?://[^/]+)/rest/(\d+)/([^/\s]+)/?", url.strip())
        if not match:
            raise ConfigError(
                f"{mask(url)} is not an incoming-webhook URL; expected https://PORTAL/rest/USER_ID/CODE/"
            )
        self.portal_url, user_id, self._code = match.group(1), match.group(2), match.group(3)
        register_secret(self._code)
        require_secure(self.portal_url, "webhook URL")
        self.user_id = int(user_id)

    def endpoint(self, method: str) -> str:
        return f"{self.portal_url}/rest/{self.user_id}/{self._code}/{method}"

    def sign(self, params: dict[str, Any]) -> dict[str, Any]:
        return params

    def __repr__(self) -> str:
        return f"WebhookAuth({self.portal_url}/rest/{self.user_id}/***/)"


@dataclass(frozen=True)
class TokenSet:
    """What a refresh returned (the caller persists ``refresh_token``)."""

    access_token: str
    refresh_token: str
    expires: int
    member_id: str
    scope: str

    def __repr__(self) -> str:
        return f"TokenSet(expires={self.expires}, member_id={self.member_id!r}, scope={self.scope!r})"


class OAuthAuth:
    """A local application's credentials; refreshes the access token when it expires."""

    kind = "oauth"

    def __init__(
        self, portal_url: str, client_id: str, client_secret: str, refresh_token: str, *,
        access_token: str | None = None, token_url: str = DEFAULT_TOKEN_URL,
        on_refresh: Callable[[TokenSet], None] | None = None,
    ) -> None:
        self.portal_url = portal_url.rstrip("/")
        require_secure(self.portal_url)
        require_secure(token_url, "OAuth token endpoint")
        self.client_id = client_id
        self._secret = client_secret
        self._refresh_token = refresh_token
        self.access_token = access_token
        self.token_url = token_url
        self.on_refresh = on_refresh
        self.refreshes = 0
        for value in (client_secret, refresh_token, access_token):
            register_secret(value)

    @property
    def refresh_token(self) -> str:
        return self._refresh_token

    def endpoint(self, method: str) -> str:
        return f"{self.portal_url}/rest/{method}"

    def sign(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "auth": self.access_token}

    def refresh(self, http: httpx.Client) -> TokenSet:
        """Trade the refresh token for a new access token (and a new refresh token)."""
        query = {
            "grant_type": "refresh_token", "client_id": self.client_id,
            "client_secret": self._secret, "refresh_token": self._refresh_token,
        }
        try:
            response = http.get(self.token_url, params=query)
        except httpx.HTTPError as exc:
            raise TransportError(f"cannot reach the OAuth token endpoint: {type(exc).__name__}", method="oauth/token") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "access_token" not in body:
            error = from_answer(
                body.get("error", "invalid_grant"), body.get("error_description", f"HTTP {response.status_code}"),
                status=response.status_code, method="oauth/token",
            )
            raise AuthError(
                f"{error.description} — the refresh token was refused ({error.code}). Reinstall or reopen the "
                "local application in Bitrix24 to get a new refresh token and update the configured variable.",
                code=error.code, method="oauth/token", status=response.status_code,
            )
        tokens = TokenSet(
            access_token=body["access_token"], refresh_token=body["refresh_token"], expires=int(body.get("expires", 0)),
            member_id=str(body.get("member_id", "")), scope=str(body.get("scope", "")),
        )
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        self.access_token = tokens.access_token
        self._refresh_token = tokens.refresh_token
        self.refreshes += 1
        if self.on_refresh is not None:
            self.on_refresh(tokens)
        return tokens

    def __repr__(self) -> str:
        return f"OAuthAuth({self.portal_url}, client_id={self.client_id!r})"


Auth = WebhookAuth | OAuthAuth
