"""Whatever users write, the rendered digest stays inert, within Discord's limits, and keeps every link."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.digest import render_compact, render_embeds, render_markdown
from bot.engine.digest.split import EMBEDS_PER_MESSAGE, MESSAGE_TOTAL, embed_length
from tests.bot.engine.digest.conftest import all_quotes, assert_within_limits, embed_texts, make_digest

MENTIONS = ("@everyone", "@here", "<@", "<@&", "<#")
TRICKY = [
    "@everyone",
    "@here",
    "@EVERYONE",
    "<@123456789012345678>",
    "<@!1>",
    "<@&2>",
    "<#3>",
    "<",
    "@",
    "#",
    "&",
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "\x1b",
    "\u0085",
    "\u2028",
    " ",
    "*",
    "**",
    "_",
    "~~",
    "`",
    "```",
    "||",
    ">",
    ">>> ",
    "# ",
    "- ",
    "1. ",
    "[",
    "]",
    "(",
    ")",
    "\\",
    "[x](https://evil.example)",
    "https://",
    "http://a.b/c",
    "\u202e",
    "\u2066",
    "\u200b",
    "\u200d",
    "\u00a0",
    "👨‍👩‍👧",
    "🏳️‍🌈",
    "שלום",
    "مرحبا",
    "…",
    "“",
    "”",
]

pieces = st.one_of(st.text(max_size=40), st.sampled_from(TRICKY))
texts = st.one_of(
    st.lists(pieces, max_size=30).map("".join),
    # Huge messages, with and without word boundaries.
    st.builds(
        lambda piece, times: piece * times,
        st.lists(pieces, min_size=1, max_size=5).map("".join),
        st.integers(min_value=50, max_value=800),
    ),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    quotes=st.lists(texts, min_size=1, max_size=4),
    author=texts,
    title=texts,
    guild_name=texts,
    channel_name=st.none() | texts,
    arguments=st.integers(min_value=0, max_value=16),
)
def test_rendering_is_safe_bounded_and_linked(quotes, author, title, guild_name, channel_name, arguments):
    digest = make_digest(
        tuple(quotes), author=author, title=title, guild_name=guild_name, channel_name=channel_name, arguments=arguments
    )
    markdown = render_markdown(digest)
    messages = render_embeds(digest)
    compact = render_compact(digest)  # one embed, whatever users wrote: it would fail to unpack otherwise

    for message in messages:
        assert 0 < len(message) <= EMBEDS_PER_MESSAGE
        assert sum(map(embed_length, message)) <= MESSAGE_TOTAL
        for embed in message:
            assert_within_limits(embed)
    assert_within_limits(compact)
    shown = [markdown, *embed_texts(messages), *embed_texts([[compact]])]
    for text in shown:
        lowered = text.lower()
        assert not any(mention in lowered for mention in MENTIONS), text
    embedded = "\n".join(embed_texts(messages))
    for argument in digest.arguments[:5]:
        assert f"]({argument.quotes[0].jump_url})" in "\n".join(embed_texts([[compact]]))
    for quote in all_quotes(digest):
        assert f"]({quote.jump_url})" in embedded
        assert f"]({quote.jump_url})" in markdown
