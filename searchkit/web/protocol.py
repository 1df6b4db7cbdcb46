"""uvicorn's HTTP/1.1 protocol with a deadline for a request's headers.

In: a client connection (uvicorn builds one ``HeaderDeadlineProtocol`` per connection).
Out: the same requests and responses as uvicorn's own h11 protocol, except that a connection
whose request headers have not all arrived ``HEADER_SECONDS`` after it opened (or after the
first byte of its next request) is answered ``408 Request Timeout`` and closed.

Why: uvicorn times out only idle keep-alive connections, and only after a first response; a
client that opens a connection and sends nothing, or sends its headers a byte at a time
("slowloris"), holds a connection slot and a file descriptor for as long as it likes, and a few
hundred such clients use up the connection cap (issue 15: the red team's slow-header probes).
Nginx (``client_header_timeout``) and Apache (``RequestReadTimeout``) bound this the same way.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

# Long enough for any real client on a slow link (a browser sends its headers in one packet),
# short enough that a slot held by a stalled client is freed within seconds.
HEADER_SECONDS = 10.0

_TIMEOUT_BODY = b"the request headers took too long to arrive\n"
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY)
)


class HeaderDeadlineProtocol(H11Protocol):
    """H11Protocol that closes a connection whose request headers are too slow to arrive."""

    header_seconds = HEADER_SECONDS
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._reading_headers():
            self._arm()
        else:
            self._disarm()  # the headers are in: the request is being answered

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # idle until the next request: uvicorn's keep-alive timeout applies

    def _reading_headers(self) -> bool:
        """No request being answered: the bytes received so far begin the next one's headers."""
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_seconds, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._reading_headers() and not self.transport.is_closing():
            self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()
