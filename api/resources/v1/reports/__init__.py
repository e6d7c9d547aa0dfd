"""Reports: one module per report, all routed on the `reports` blueprint by the list below."""

from api.resources.v1.reports import (
    alignment,
    audience_fit,
    causal_lift,
    channels,
    funnel,
    lift,
    message_pull_through,
    roi,
    share_of_voice,
)
from api.resources.v1.reports.blueprint import blp

ROUTES = (
    ("/roi", roi.Roi),
    ("/alignment", alignment.Alignment),
    ("/channels", channels.ChannelReport),
    ("/funnel", funnel.Funnel),
    ("/lift", lift.Lift),
    ("/causal-lift", causal_lift.CausalLift),
    ("/share-of-voice", share_of_voice.ShareOfVoice),
    ("/audience-channel-fit", audience_fit.AudienceChannelFit),
    ("/message-pull-through", message_pull_through.MessagePullThrough),
)
for path, view in ROUTES:
    blp.route(path)(view)

__all__ = ["blp"]
