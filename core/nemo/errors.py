"""The NemoVideo client's exception tree.

Everything the client raises derives from :class:`NemoError`::

    NemoError
    ├── BackendUnavailable          network failure, timeout, 5xx, unreadable body
    │   ├── StreamDropped           the /run_sse connection closed abnormally mid-turn
    │   └── StreamTimedOut          the turn hit the hard cap or sent only heartbeats for too long
    ├── ApiError                    the backend answered with an error code
    │   ├── AuthError               1001: token invalid or expired
    │   ├── SessionNotFound         1002 (or ADK's 404 "Session not found")
    │   ├── InsufficientCredits     2001
    │   ├── UnsupportedFileType     4001
    │   ├── FileTooLarge            4002
    │   ├── ClientIdMissing         400 on anonymous-token
    │   ├── ExportNotAllowed        402: plan/attribution block, not a credits problem
    │   ├── RateLimited             429
    │   └── RenderRejected          the render proxy answered ``success: false``
    ├── AgentError                  the agent reported an error inside the stream
    └── UploadIncomplete            a file yielded more or fewer bytes than its stated size

Third-party exceptions are translated once, in :mod:`core.nemo.transport`, with ``raise … from``.
"""

from __future__ import annotations


class NemoError(Exception):
    """Base class of every error the NemoVideo client raises."""


class BackendUnavailable(NemoError):
    """The backend could not be reached or gave an unusable answer (network, timeout, 5xx, bad body)."""


class StreamDropped(BackendUnavailable):
    """The SSE stream of a turn ended abnormally; the turn may still be running server-side."""

    def __init__(self, message: str, *, saw_text: bool) -> None:
        super().__init__(message)
        self.saw_text = saw_text


class StreamTimedOut(BackendUnavailable):
    """The SSE stream hit the hard cap or sent nothing but heartbeats for the idle limit."""

    def __init__(self, message: str, *, idle: bool) -> None:
        super().__init__(message)
        self.idle = idle


class DownloadRefused(BackendUnavailable):
    """A download was not attempted or not kept: an unsafe address, or the file is not an MP4."""


class ApiError(NemoError):
    """The backend refused the call with an error code (in the body or as the HTTP status)."""

    def __init__(self, code: int, message: str = "", *, http_status: int | None = None) -> None:
        super().__init__(f"{code}: {message}" if message else str(code))
        self.code = code
        self.message = message
        self.http_status = http_status


class AuthError(ApiError):
    """1001: the token is invalid or expired."""


class SessionNotFound(ApiError):
    """1002: the editing session no longer exists."""


class InsufficientCredits(ApiError):
    """2001: not enough credits for the operation."""


class UnsupportedFileType(ApiError):
    """4001: the backend does not accept this file type."""


class FileTooLarge(ApiError):
    """4002: the file is larger than the backend accepts."""


class ClientIdMissing(ApiError):
    """400: the anonymous-token call had no X-Client-Id."""


class ExportNotAllowed(ApiError):
    """402: export blocked by plan tier or missing attribution; not a credits problem."""


class RateLimited(ApiError):
    """429: too many requests."""


class AnonymousCeiling(RateLimited):
    """429 on the anonymous-token endpoint even after the wait: the backend's cap of new anonymous
    accounts per server IP (about 10 a week) is reached, so waiting seconds will not help."""


class RenderRejected(ApiError):
    """The render proxy answered ``success: false`` (duplicate id, empty draft, …)."""


class AgentError(NemoError):
    """The agent reported an error inside the SSE stream (``{"error": …}`` or ``errorCode``)."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class UploadIncomplete(NemoError):
    """A file's bytes did not match its stated size (a platform stream cut short, a stale size).

    Raised while streaming, before the body could go out with a wrong Content-Length.
    """

    def __init__(self, filename: str, stated: int, read: int) -> None:
        super().__init__(f"{filename!r}: stated {stated} bytes, read {read}")
        self.filename = filename
        self.stated = stated
        self.read = read


_BY_CODE: dict[int, type[ApiError]] = {
    1001: AuthError,
    1002: SessionNotFound,
    2001: InsufficientCredits,
    4001: UnsupportedFileType,
    4002: FileTooLarge,
    400: ClientIdMissing,
    402: ExportNotAllowed,
    429: RateLimited,
}


def api_error(code: int, message: str = "", *, http_status: int | None = None) -> ApiError:
    """The most specific :class:`ApiError` for a backend code."""
    return _BY_CODE.get(code, ApiError)(code, message, http_status=http_status)


def agent_error_for(message: str, code: str | None) -> NemoError:
    """An in-stream error: a known backend code becomes its ApiError (2001 mid-turn), else AgentError."""
    if code is not None and code.strip().isdigit() and int(code) in _BY_CODE:
        return api_error(int(code), message)
    return AgentError(message, code=code)
