"""The argument catalogue: topic packs of recurring arguments, loaded from YAML and validated.

A pack is written by hand by moderators and contributors, so every error has to say exactly where it is:
``prompts/catalogue/x.yaml: arguments[3] (id 'foo'): examples: needs 3-6 phrasings, got 2``.
Cross-pack rules (unique ids, counters that resolve) are checked by :func:`load_catalogue`, because a
counter may point at an argument in another pack.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

SLUG_PATTERN = r"^[a-z0-9-]+$"
MIN_EXAMPLES, MAX_EXAMPLES = 3, 60
# Sources run from antiquity (Thucydides, Tacitus; negative years are BCE) to the present.
MIN_YEAR = -800
MAX_YEAR = datetime.date.today().year

Standing = Literal["consensus", "debated", "rejected"]
STANDING_WORDS: dict[str, str] = {
    "consensus": "Historians broadly agree with this",
    "debated": "Historians disagree about this",
    "rejected": "Historians reject this: it is a myth or contradicted by the record",
}

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
# Stripped first so that a value of only spaces counts as empty.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

# A full stop followed by a capital is a sentence break, except after these common abbreviations.
_SENTENCE_BREAK = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\bc)(?<!\bvs)(?<!\bSt)(?<!\bDr)(?<!\bMr)[.!?][\"')\]]*\s+[A-Z0-9]"
)


def standing_text(standing: str | None) -> str:
    """Where historians stand, in words; empty for arguments with no standing (moderators' own)."""
    return STANDING_WORDS.get(standing or "", "")


class CatalogueError(ValueError):
    """A pack that cannot be used. The message names the file, the argument and the field."""


class _Strict(BaseModel):
    # Unknown keys are almost always typos ("counter:", "source:"), which would otherwise vanish silently.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    author: Text
    title: Text
    # Whether the work argues for the claim it is listed under, or against it: a reader must never take
    # a rebuttal listed under a myth for an endorsement.
    role: Literal["supports", "rebuts"]
    year: int | None = None
    url: str | None = None

    @field_validator("year")
    @classmethod
    def _plausible_year(cls, year: int | None) -> int | None:
        if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(f"must be between {MIN_YEAR} and {MAX_YEAR}, got {year}")
        return year

    @field_validator("url")
    @classmethod
    def _web_url(cls, url: str | None) -> str | None:
        if url is not None and not re.match(r"^https?://\S+$", url):
            raise ValueError(f"must be an http(s) address, got {url!r}")
        return url


class CatalogueArgument(_Strict):
    id: Slug
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    claim: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    examples: list[Text]
    # Where historians stand on the claim, shown in words beside every digest entry and note.
    standing: Standing
    counters: list[Slug] = Field(default_factory=list)
    sources: list[Source]
    policy: Literal["flag"] | None = None

    @field_validator("claim")
    @classmethod
    def _one_sentence(cls, claim: str) -> str:
        # The claim is shown as the argument's label and embedded as one unit; a paragraph dilutes both.
        if "\n" in claim or _SENTENCE_BREAK.search(claim):
            raise ValueError("must be one sentence")
        return claim

    @field_validator("examples")
    @classmethod
    def _enough_phrasings(cls, examples: list[str]) -> list[str]:
        if not MIN_EXAMPLES <= len(examples) <= MAX_EXAMPLES:
            raise ValueError(f"needs {MIN_EXAMPLES}-{MAX_EXAMPLES} phrasings, got {len(examples)}")
        seen: set[str] = set()
        for example in examples:
            key = example.casefold()
            if key in seen:
                raise ValueError(f"duplicate phrasing {example!r}")
            seen.add(key)
        return examples

    @field_validator("counters")
    @classmethod
    def _distinct_counters(cls, counters: list[str]) -> list[str]:
        duplicates = sorted({c for c in counters if counters.count(c) > 1})
        if duplicates:
            raise ValueError(f"lists {', '.join(duplicates)} more than once")
        return counters

    @field_validator("sources")
    @classmethod
    def _at_least_one_source(cls, sources: list[Source]) -> list[Source]:
        if not sources:
            raise ValueError("needs at least one published source")
        return sources

    @model_validator(mode="after")
    def _not_its_own_counter(self) -> CatalogueArgument:
        if self.id in self.counters:
            raise ValueError(f"counters: an argument cannot counter itself ('{self.id}')")
        return self


class TopicPack(_Strict):
    pack: Slug
    title: Text
    version: Annotated[int, Field(ge=1)]
    arguments: list[CatalogueArgument]

    @field_validator("arguments")
    @classmethod
    def _not_empty(cls, arguments: list[CatalogueArgument]) -> list[CatalogueArgument]:
        if not arguments:
            raise ValueError("a pack needs at least one argument")
        return arguments


def _display(path: Path) -> str:
    """The path as a contributor would type it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _argument_label(raw: Any, index: int) -> str:
    label = f"arguments[{index}]"
    try:
        argument_id = raw["arguments"][index]["id"]
    except (KeyError, IndexError, TypeError):
        return label
    return f"{label} (id '{argument_id}')" if isinstance(argument_id, str) else label


def _allowed_keys(loc: tuple) -> list[str]:
    """The keys the mapping holding ``loc`` may have, to turn a typo report into a fix."""
    path = tuple(part for part in loc[:-1] if isinstance(part, str))
    model = {(): TopicPack, ("arguments",): CatalogueArgument, ("arguments", "sources"): Source}.get(path)
    return list(model.model_fields) if model else []


def _describe(error: ErrorDetails, raw: Any) -> str:
    """One pydantic error as "where: field: problem", with the argument's id when there is one."""
    loc = list(error["loc"])
    where: list[str] = []
    if len(loc) >= 2 and loc[0] == "arguments" and isinstance(loc[1], int):
        where.append(_argument_label(raw, loc[1]))
        loc = loc[2:]
    field = ""
    for part in loc:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    kind = error["type"]
    if kind == "missing":
        problem = "required field is missing"
    elif kind == "extra_forbidden":
        problem = f"unknown key (allowed: {', '.join(_allowed_keys(error['loc']))})"
    elif kind == "value_error":
        problem = str(error.get("ctx", {}).get("error", error["msg"]))
    elif kind == "literal_error":
        problem = f"must be {error.get('ctx', {}).get('expected')}, got {error.get('input')!r}"
    elif kind == "string_pattern_mismatch":
        problem = f"must be a lowercase slug (a-z, 0-9, '-'), got {error.get('input')!r}"
    else:
        problem = error["msg"]
    # A model-level check reports its own field inside the message ("counters: ...").
    if field:
        where.append(field)
    return ": ".join([*where, problem])


def _read_yaml(path: Path) -> Any:
    name = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogueError(f"{name}: no such file") from None
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "malformed YAML"
        raise CatalogueError(f"{name}: invalid YAML{at}: {problem}") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{name}: invalid YAML: {exc}") from None


def load_pack(path: Path) -> TopicPack:
    """Read and validate one pack file. Every problem in the file is reported, one per line."""
    path = Path(path)
    name = _display(path)
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise CatalogueError(f"{name}: expected a mapping with 'pack', 'title', 'version' and 'arguments'")
    try:
        pack = TopicPack.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{name}: {_describe(error, raw)}" for error in exc.errors(include_url=False)]
        raise CatalogueError("\n".join(lines)) from None
    seen: dict[str, int] = {}
    for index, argument in enumerate(pack.arguments):
        if argument.id in seen:
            raise CatalogueError(
                f"{name}: arguments[{index}] (id '{argument.id}'): id: duplicate of arguments[{seen[argument.id]}]"
            )
        seen[argument.id] = index
    return pack


def load_catalogue(folder: Path) -> list[TopicPack]:
    """Load every ``*.yaml`` pack in ``folder`` (sorted by file name) and check the packs against each other."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CatalogueError(f"{_display(folder)}: catalogue folder not found")
    files = sorted(folder.glob("*.yaml"))
    packs = [load_pack(path) for path in files]
    _check_together(list(zip(files, packs)))
    return packs


def check_packs(files: Sequence[Path], catalogue_dir: Path | None = None) -> list[tuple[Path, TopicPack]]:
    """Validate pack files on their own and together with the catalogue's other packs (for unique ids and
    counters that point into them). Returns each file with its pack."""
    given = [(Path(path), load_pack(Path(path))) for path in files]
    resolved = {path.resolve() for path, _ in given}
    others: list[tuple[Path, TopicPack]] = []
    if catalogue_dir is not None and Path(catalogue_dir).is_dir():
        others = [
            (path, load_pack(path))
            for path in sorted(Path(catalogue_dir).glob("*.yaml"))
            if path.resolve() not in resolved
        ]
    _check_together(given + others)
    return given


def _check_together(packs: Sequence[tuple[Path, TopicPack]]) -> None:
    """Pack slugs and argument ids are unique across packs; every counter names an existing argument."""
    owner: dict[str, tuple[str, str]] = {}  # argument id -> (file, pack slug)
    pack_files: dict[str, str] = {}
    for path, pack in packs:
        name = _display(path)
        if pack.pack in pack_files:
            raise CatalogueError(f"{name}: pack: '{pack.pack}' is already defined in {pack_files[pack.pack]}")
        pack_files[pack.pack] = name
        for index, argument in enumerate(pack.arguments):
            if argument.id in owner:
                raise CatalogueError(
                    f"{name}: arguments[{index}] (id '{argument.id}'): id: already used in {owner[argument.id][0]}"
                )
            owner[argument.id] = (name, pack.pack)

    for path, pack in packs:
        for index, argument in enumerate(pack.arguments):
            unknown = [counter for counter in argument.counters if counter not in owner]
            if unknown:
                raise CatalogueError(
                    f"{_display(path)}: arguments[{index}] (id '{argument.id}'): counters: "
                    f"unknown argument id(s) {', '.join(repr(u) for u in unknown)}"
                )


def pack_json_schema() -> dict:
    """The pack format as JSON Schema, for editors that check YAML as it is typed."""
    schema = TopicPack.model_json_schema()
    # The validators' rules, which pydantic cannot express in the schema on its own.
    argument = schema["$defs"]["CatalogueArgument"]["properties"]
    argument["examples"].update(minItems=MIN_EXAMPLES, maxItems=MAX_EXAMPLES, uniqueItems=True)
    argument["sources"]["minItems"] = 1
    year = schema["$defs"]["Source"]["properties"]["year"]
    year["anyOf"][0].update(minimum=MIN_YEAR, maximum=MAX_YEAR)
    schema["properties"]["arguments"]["minItems"] = 1
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Clio topic pack"
    return schema


def all_arguments(packs: Iterable[TopicPack]) -> list[CatalogueArgument]:
    """Every argument of every pack, in pack then file order."""
    return [argument for pack in packs for argument in pack.arguments]


def counter_pairs(declared: Iterable[tuple[str, Iterable[str]]]) -> dict[str, set[str]]:
    """Each argument's counters, both ways, from ``(argument id, its declared counters)``: if A counters
    B, B counters A, whichever of them says so."""
    pairs: dict[str, set[str]] = {}
    for argument_id, counters in declared:
        for counter in counters:
            pairs.setdefault(argument_id, set()).add(counter)
            pairs.setdefault(counter, set()).add(argument_id)
    return pairs


def arguments_by_id(packs: Sequence[TopicPack]) -> dict[str, CatalogueArgument]:
    return {argument.id: argument for argument in all_arguments(packs)}
