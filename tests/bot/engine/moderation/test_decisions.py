"""Moderators' decisions without Discord: claim, act through the actions interface, open the case, and
undo the claim when the action fails."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from bot.core.guild_config import GuildConfig
from bot.engine.moderation import Flag, decisions, queue
from bot.store.moderation import ACTIONED, OPEN
from bot.store.review import CONFIRMED, PROPOSED, EscalationStore
from tests.bot.conftest import GUILD, make_message
from tests.conftest import required

ABUSE = Flag("abuse", 0.93, True, "abusive language: second-person insult")
MODERATOR = 1


class RecordedActions:
    """The actions interface as a record of what Clio would have done on Discord."""

    def __init__(self, *, member: bool = True, accepts_dms: bool = True) -> None:
        self.member, self.accepts_dms = member, accepts_dms
        self.done: list[tuple] = []

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        self.done.append(("delete", channel_id, message_id))

    async def timeout(self, user_id: int, seconds: float, reason: str) -> None:
        if not self.member:
            raise UserError(f"<@{user_id}> is no longer a member of this server.")
        self.done.append(("timeout", user_id, seconds))

    async def dm(self, user_id: int, text: str) -> bool:
        self.done.append(("dm", user_id, text))
        return self.accepts_dms


async def _entry(store, text="you idiot"):
    message = make_message(text, author_id=7)
    await store.messages.upsert([message])
    (anchor,) = await queue.record_flags(store, message, [ABUSE])
    return message, anchor


async def test_delete_removes_the_message_and_opens_a_case(store):
    message, anchor = await _entry(store)
    actions = RecordedActions()
    decided = await decisions.decide_flag(store, actions, GUILD, anchor, queue.DELETE, MODERATOR)
    assert actions.done == [("delete", message.channel_id, message.id)]
    assert decided.entry.anchor.status == ACTIONED and decided.note is None
    assert await store.messages.get(GUILD, [message.id]) == {}
    (case,) = await store.cases.for_user(GUILD, 7)
    assert (case.action, case.moderator_id, case.flag_id) == ("delete", MODERATOR, anchor)


async def test_a_warning_is_sent_privately_and_said_when_it_cannot_be(store):
    _, anchor = await _entry(store)
    actions = RecordedActions(accepts_dms=False)
    decided = await decisions.decide_flag(store, actions, GUILD, anchor, "warn", MODERATOR, guild_name="History *Club*")
    [(kind, user, text)] = actions.done
    assert (kind, user) == ("dm", 7) and "History \\*Club\\*" in text and "Case #1" in text
    assert decided.note == "Warned (case #1), but I could not DM them: they do not accept my messages."


async def test_a_failed_timeout_gives_the_entry_back(store):
    _, anchor = await _entry(store)
    with pytest.raises(UserError, match="no longer a member"):
        await decisions.decide_flag(
            store, RecordedActions(member=False), GUILD, anchor, queue.TIMEOUT, MODERATOR, choice="1h"
        )
    assert (await decisions.load_entry(store, GUILD, anchor)).anchor.status == OPEN
    assert await store.cases.for_user(GUILD, 7) == []
    retried = await decisions.decide_flag(store, RecordedActions(), GUILD, anchor, queue.TIMEOUT, 2, choice="1h")
    assert retried.entry.anchor.status == ACTIONED
    (case,) = await store.cases.for_user(GUILD, 7)
    assert case.reason.startswith("1 hour.")


async def test_a_timeout_needs_its_length_before_anything_is_claimed(store):
    _, anchor = await _entry(store)
    with pytest.raises(UserError, match="how long"):
        await decisions.decide_flag(store, RecordedActions(), GUILD, anchor, queue.TIMEOUT, MODERATOR)
    assert (await decisions.load_entry(store, GUILD, anchor)).is_open


async def test_the_second_moderator_is_told_who_decided(store):
    _, anchor = await _entry(store)
    actions = RecordedActions()
    await decisions.decide_flag(store, actions, GUILD, anchor, queue.DISMISS, MODERATOR)
    with pytest.raises(UserError, match=f"Already decided: Dismissed by <@{MODERATOR}>"):
        await decisions.decide_flag(store, actions, GUILD, anchor, queue.DELETE, 2)
    assert actions.done == []


async def test_an_escalation_is_confirmed_once_or_given_back_when_the_timeout_fails(store):
    for _ in range(3):
        await store.cases.add_case(GUILD, 7, "warn", "rude", MODERATOR)
    proposed = await queue.propose_escalation(store, GuildConfig(), GUILD, 7)
    assert proposed is not None
    with pytest.raises(UserError):
        await decisions.decide_escalation(store, RecordedActions(member=False), GUILD, proposed.id, True, MODERATOR)
    assert required(await EscalationStore(store.db).get(GUILD, proposed.id)).status == PROPOSED

    actions = RecordedActions()
    confirmed = await decisions.decide_escalation(store, actions, GUILD, proposed.id, True, MODERATOR)
    assert actions.done == [("timeout", 7, proposed.minutes * 60)]
    assert confirmed.status == CONFIRMED and confirmed.case_number is not None
    with pytest.raises(UserError, match="Already confirmed"):
        await decisions.decide_escalation(store, actions, GUILD, proposed.id, False, 2)
