"""Fake networks on loopback that answer like the real APIs, shared by the adapter and job tests."""

from api.domain.outbound import UrlPolicy

# The fake networks listen on loopback, which adapters refuse unless allowed.
FAKES_ON_LOOPBACK = UrlPolicy(allow_http=True, allow_private=True)
