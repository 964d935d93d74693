"""The Bitrix24 REST layer: client, auth, batch builder, limits and the error family."""

from b24cfg.portal.auth import OAuthAuth, TokenSet, WebhookAuth
from b24cfg.portal.batch import Batch, BatchResult, Ref
from b24cfg.portal.client import Client, Envelope
from b24cfg.portal.limits import ENTERPRISE, STANDARD, Pacing, RetryPolicy

__all__ = [
    "Batch", "BatchResult", "Client", "ENTERPRISE", "Envelope", "OAuthAuth", "Pacing", "Ref", "RetryPolicy",
    "STANDARD", "TokenSet", "WebhookAuth",
]
