"""Process-wide settings, read from ``CLIO_``-prefixed environment variables and ``.env``.

Per-guild settings (watched channels, thresholds...) live in the database instead: see
:mod:`bot.store.guild_settings`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
PROMPTS_ROOT = PACKAGE_ROOT.parent / "prompts"
DEFAULT_MODEL_DIR = PACKAGE_ROOT / "weights" / "matcher-v2"
ENV_PREFIX = "CLIO_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def normal_shard_ids(value: str | None) -> str | None:
    """``"0, 1"`` as ``"0,1"``; ValueError for anything but shard numbers separated by commas."""
    if value is None or not value.strip():
        return None
    parts = [p.strip() for p in value.split(",")]
    if not all(p.isdigit() for p in parts):
        raise ValueError(f"expected shard numbers separated by commas, such as 0,1; got {value!r}")
    return ",".join(parts)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database: str = Field(
        default="clio.sqlite3",
        description="Where Clio stores its data: a SQLite file path (or sqlite:///path), or postgresql://user@host/db.",
    )
    model_dir: Path = Field(default=DEFAULT_MODEL_DIR, description="Folder of the ONNX matcher model.")
    catalogue_dir: Path = Field(default=PROMPTS_ROOT / "catalogue", description="Argument catalogue packs.")
    templates_dir: Path = Field(default=PROMPTS_ROOT / "templates", description="Digest templates.")
    # One thread and small length-sorted batches: a second thread costs ~40% more CPU for <7% less wall
    # time and stalls when the machine is busy; batches of 16 waste little on padding.
    threads: int = Field(default=1, ge=1, description="Threads for model inference.")
    batch_size: int = Field(default=16, ge=1, description="Messages embedded per model call.")
    top_k: int = Field(default=3, ge=1, description="Tags kept per message.")
    default_packs: str = Field(
        default="all", description="Topic packs a new server starts with: all, none, or pack slugs separated by commas."
    )
    # None: INFO for the bot (`clio run`), whose log is its output; WARNING for the other commands, whose
    # results would otherwise be interleaved with progress lines.
    log_level: str | None = Field(
        default=None, description="DEBUG, INFO, WARNING, ERROR or CRITICAL (default: INFO for clio run, else WARNING)."
    )

    # Discovery: a cluster becomes a candidate when it recurs this much.
    discovery_min_messages: int = Field(default=5, ge=2, description="Messages a candidate argument needs.")
    discovery_min_authors: int = Field(default=3, ge=1, description="Authors a candidate argument needs.")
    discovery_min_days: int = Field(default=2, ge=1, description="Days a candidate argument needs.")
    # matcher-v2 spreads texts apart: paraphrases of one held-out argument average cosine ~0.45, and at 0.35
    # greetings and book chatter already form "recurring arguments" in the sample.
    discovery_similarity: float = Field(
        default=0.45, gt=0, lt=1, description="Cosine similarity that joins messages into one cluster."
    )
    # A message whose best argument probability reaches this is treated as already explained.
    discovery_explained: float = Field(
        default=0.55, gt=0, le=1, description="Argument probability from which a message counts as explained."
    )

    # Discord: the token is read without the prefix, as every Discord tool names it.
    discord_token: SecretStr | None = Field(
        default=None, validation_alias="DISCORD_TOKEN", description="The bot token; only `clio run` needs it."
    )
    discord_api: str | None = Field(default=None, description="Base REST URL of a Discord-compatible API.")
    discord_gateway: str | None = Field(default=None, description="Gateway websocket URL override.")
    sharded: bool = Field(default=False, description="Use AutoShardedBot (all shards Discord recommends).")
    # Several processes sharing one PostgreSQL each run a range of shards (see the README).
    shard_ids: str | None = Field(default=None, description="Shards this process runs, such as 0,1.")
    shard_count: int | None = Field(default=None, ge=1, description="Shards across all processes.")
    scam_domains: Path | None = Field(
        default=None, description="Known scam domains, one per line (default: the list shipped with Clio)."
    )

    @field_validator("shard_ids")
    @classmethod
    def _shard_list(cls, value: str | None) -> str | None:
        return normal_shard_ids(value)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not a log level: use one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @property
    def shard_id_list(self) -> list[int] | None:
        return [int(p) for p in self.shard_ids.split(",")] if self.shard_ids else None

    def shard_problem(self) -> str | None:
        """Why the shard settings cannot work together, if they cannot."""
        ids = self.shard_id_list
        if ids is not None and self.shard_count is None:
            return "CLIO_SHARD_IDS needs CLIO_SHARD_COUNT (the shards across all processes)"
        if ids is not None and self.shard_count is not None and max(ids) >= self.shard_count:
            return f"shard ids must be below the shard count {self.shard_count}; got {self.shard_ids}"
        return None


def env_name(field: str) -> str:
    """The environment variable that sets a Settings field (DISCORD_TOKEN, else CLIO_ and the name)."""
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else ENV_PREFIX + field.upper()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
