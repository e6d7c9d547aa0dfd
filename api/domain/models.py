"""Every model, imported once so that the metadata (and Alembic) sees them all."""

from api.domain.audiences.models import Audience
from api.domain.audit import AuditEvent
from api.domain.base import Base
from api.domain.campaigns.models import (
    Campaign,
    CampaignAudience,
    CampaignChannel,
    CampaignObjective,
    Review,
)
from api.domain.channels.connections import Connection
from api.domain.channels.models import Channel
from api.domain.competitors.models import Competitor
from api.domain.content_items.models import ContentItem, ContentItemMedia, ContentStatusChange
from api.domain.content_series.models import ContentSeries
from api.domain.forecasts.models import KpiForecast
from api.domain.idempotency import IdempotencyRecord
from api.domain.identity.models import ApiKey, User
from api.domain.invitations.models import Invitation
from api.domain.jobs.models import Job, JobError
from api.domain.key_messages.models import (
    ContentMessage,
    KeyMessage,
    KeyMessageAudience,
    KeyMessageObjective,
    MentionMessage,
)
from api.domain.kpis.models import Kpi, KpiStatusChange, KpiValue, RollupState
from api.domain.media.models import Media
from api.domain.mentions.models import Mention
from api.domain.metrics.models import MetricPoint, OrganisationMetric
from api.domain.oauth.models import AuthorizationCode, OAuthClient, OAuthGrant, OAuthToken
from api.domain.organisations.models import Membership, Organisation
from api.domain.plan.models import PlanFeed
from api.domain.publishing.models import PublishAttempt
from api.domain.readiness.models import ReadinessAssessment
from api.domain.resources.models import Resource
from api.domain.strategies.models import Objective, Strategy
from api.domain.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "ApiKey",
    "Audience",
    "AuditEvent",
    "AuthorizationCode",
    "Base",
    "Campaign",
    "CampaignAudience",
    "CampaignChannel",
    "CampaignObjective",
    "Channel",
    "Competitor",
    "Connection",
    "ContentItem",
    "ContentItemMedia",
    "ContentMessage",
    "ContentSeries",
    "ContentStatusChange",
    "IdempotencyRecord",
    "Invitation",
    "Job",
    "JobError",
    "KeyMessage",
    "KeyMessageAudience",
    "KeyMessageObjective",
    "Kpi",
    "KpiForecast",
    "KpiStatusChange",
    "KpiValue",
    "Media",
    "Membership",
    "Mention",
    "MentionMessage",
    "MetricPoint",
    "OAuthClient",
    "OAuthGrant",
    "OAuthToken",
    "Objective",
    "Organisation",
    "OrganisationMetric",
    "PlanFeed",
    "PublishAttempt",
    "ReadinessAssessment",
    "Resource",
    "Review",
    "RollupState",
    "Strategy",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
