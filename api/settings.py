"""Settings come from FLOORCHECK_* environment variables; tests build their own."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


_COOKIE_SECURE = {"auto", "1", "true", "yes", "on", "0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'floorcheck.sqlite3'}"
    media_dir: Path = ROOT / "media"
    static_dir: Path = ROOT / "static" / "pwa"
    secret_key: str = "dev-only-change-me"
    # Outlasts a long day offline on the floor; renewed on use.
    token_lifetime: timedelta = timedelta(days=14)
    # "auto": Secure when the request came over https (the socket's scheme, or X-Forwarded-Proto / Forwarded
    # from a trusted proxy); "true" or "false": always or never.
    cookie_secure: str = "auto"
    cookie_name: str = "floorcheck_session"
    # How long a validated token is trusted without asking the database again.
    auth_cache_seconds: float = 10.0
    schema_enabled: bool = True
    # Other origins whose pages may write with the session cookie (e.g. "https://qc.example.com"); the app's own
    # origin always may. Bearer-token clients are not affected.
    allowed_origins: tuple[str, ...] = ()
    # How long a writing request waits for SQLite's write lock before it answers 503 with Retry-After.
    sqlite_busy_timeout_ms: int = 5000
    max_body_bytes: int = 1_000_000
    max_import_bytes: int = 20_000_000
    max_photo_bytes: int = 25_000_000
    max_image_pixels: int = 100_000_000
    # Failed logins per (account, address) before each further try must wait.
    login_free_failures: int = 5
    login_max_delay: timedelta = timedelta(minutes=15)
    # Failed logins per account from all addresses together within the window: past it, every login of that
    # account answers 429 (the right password too) until the window ends or an admin resets the password.
    login_account_max_failures: int = 20
    login_account_window: timedelta = timedelta(hours=1)
    # The reverse proxies (IP addresses or CIDR networks) whose X-Forwarded-For / -Proto / -Host or Forwarded
    # headers are believed. From any other peer those headers are ignored: anyone can send them.
    trusted_proxies: tuple[str, ...] = ()
    # Argon2id cost of stored passwords; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    # A login whose stored hash was made with other parameters rehashes it with these.
    password_time_cost: int = 3
    password_memory_cost: int = 65536  # KiB
    password_parallelism: int = 4

    def __post_init__(self) -> None:
        if self.cookie_secure.strip().lower() not in _COOKIE_SECURE:
            raise ValueError(f"cookie_secure must be auto, true or false, not {self.cookie_secure!r}")
        for entry in self.trusted_proxies:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {entry!r} is neither an IP address nor a CIDR network") from None

    @classmethod
    def from_env(cls, env: os._Environ[str] | dict[str, str] = os.environ) -> Settings:
        s = cls()
        get = lambda name: env.get(f"FLOORCHECK_{name}")  # noqa: E731
        changes: dict[str, object] = {}
        for name, conv in (
            ("DATABASE_URL", str),
            ("MEDIA_DIR", Path),
            ("STATIC_DIR", Path),
            ("SECRET_KEY", str),
            ("COOKIE_SECURE", str),
            ("SCHEMA_ENABLED", _bool),
            ("MAX_BODY_BYTES", int),
            ("MAX_IMPORT_BYTES", int),
            ("MAX_PHOTO_BYTES", int),
            ("MAX_IMAGE_PIXELS", int),
            ("LOGIN_FREE_FAILURES", int),
            ("LOGIN_ACCOUNT_MAX_FAILURES", int),
            ("AUTH_CACHE_SECONDS", float),
            ("SQLITE_BUSY_TIMEOUT_MS", int),
            ("PASSWORD_TIME_COST", int),
            ("PASSWORD_MEMORY_COST", int),
            ("PASSWORD_PARALLELISM", int),
        ):
            if (raw := get(name)) is not None:
                changes[name.lower()] = conv(raw)
        if (raw := get("ALLOWED_ORIGINS")) is not None:
            changes["allowed_origins"] = tuple(o.strip() for o in raw.split(",") if o.strip())
        if (raw := get("TRUSTED_PROXIES")) is not None:
            changes["trusted_proxies"] = tuple(p.strip() for p in raw.split(",") if p.strip())
        if (raw := get("TOKEN_LIFETIME_HOURS")) is not None:
            changes["token_lifetime"] = timedelta(hours=float(raw))
        return replace(s, **changes)  # type: ignore[arg-type]
