"""A LangChain fake chat model that records its prompts, for the tests of what reaches an LLM."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from pydantic import Field


class RecordingChat(FakeListChatModel):
    """Replies from a list (cycling) and records every message list it receives, on invoke and on stream."""

    seen: list = Field(default_factory=list)

    def _call(self, messages, *args, **kwargs):
        self.seen.append(list(messages))
        return super()._call(messages, *args, **kwargs)

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        self.seen.append(list(messages))
        yield from super()._stream(messages, stop, run_manager, **kwargs)
