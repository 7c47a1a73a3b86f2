"""LangChain-native pieces: the qbank retriever, the answer chain and the condense-question chain.

All are Runnables (LCEL), so they drop into other LangChain apps::

    retriever = QbankRetriever(searcher=Searcher(Settings.load()))
    chain = rag_chain(retriever, ChatOpenAI(model="deepseek-chat", base_url=...))
    chain.invoke("什么是批量归一化？")        # -> "批量归一化……[1]"

:class:`rag.answer.Answerer` uses :func:`answer_chain` and :func:`condense_chain` and adds
citation checks, abstention and the fallback to the extractive answer.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from ingest.items import QAItem
from rag.prompts import ContextItem, answer_prompt, condense_prompt, format_context


def answer_chain(model: BaseChatModel) -> Runnable:
    """prompt -> chat model -> text. Input ``{"context": str, "question": str}``, output ``str`` (streams)."""
    return (answer_prompt() | model | StrOutputParser()).with_config(run_name="qbank_answer")


def condense_chain(model: BaseChatModel) -> Runnable:
    """Follow-up -> standalone question. Input ``{"history": [messages], "question": str}``, output ``str``."""
    return (condense_prompt() | model | StrOutputParser()).with_config(run_name="qbank_condense")


def source_label(item: QAItem) -> str:
    """``深度学习基础面试题 33 问 #31, dl_basics_qa.txt:1002-1020`` — where an item sits."""
    where = f"{item.file}:{item.lines[0]}-{item.lines[1]}" if item.lines else (
        f"{item.file} p.{item.page}" if item.page else item.file)
    number = f" #{item.number}" if item.number is not None else ""
    return f"{item.doc}{number}, {where}"


def item_document(item: QAItem, score: float | None = None, abstained: bool = False) -> Document:
    """A LangChain Document for one Q&A item: page_content is question + answer."""
    meta: dict[str, Any] = {"id": item.id, "doc": item.doc, "file": item.file, "number": item.number,
                            "question": item.question, "lines": list(item.lines) if item.lines else None,
                            "page": item.page, "source": source_label(item), "abstained": abstained}
    if score is not None:
        meta["score"] = round(float(score), 4)
    return Document(page_content=f"{item.question}\n\n{item.answer}", metadata=meta, id=item.id)


class QbankRetriever(BaseRetriever):
    """qbank hybrid search as a LangChain retriever.

    Attributes:
        searcher: a :class:`rag.searcher.Searcher`.
        k: number of documents (default: the searcher's ``top_k``).
        drop_abstained: return no documents when the banks do not cover the query
            (default); else the nearest ones, flagged ``metadata["abstained"]``.
    """

    searcher: Any
    k: int | None = None
    drop_abstained: bool = True

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = self.searcher.search(query, k=self.k)
        if result.abstained and self.drop_abstained:
            return []
        return [item_document(h.item, h.score, result.abstained) for h in result.hits]


def format_documents(docs: list[Document]) -> str:
    """Documents from :class:`QbankRetriever` -> the delimited numbered context of the answer prompt."""
    items = []
    for n, d in enumerate(docs, 1):
        question = d.metadata.get("question", "")
        body = d.page_content
        if question and body.startswith(question):
            body = body[len(question):]
        items.append(ContextItem(n, question, body.strip(), d.metadata.get("source", "")))
    return format_context(items)


def rag_chain(retriever: BaseRetriever, model: BaseChatModel) -> Runnable:
    """question ``str`` -> answer ``str`` with ``[n]`` markers: retrieve, format, prompt, model, parse.

    The plain LCEL chain for your own apps; it does not validate citations (use
    :meth:`rag.answer.Answerer.as_runnable` for checked answers with fallback).
    """
    return ({"context": retriever | RunnableLambda(format_documents), "question": RunnablePassthrough()}
            | answer_chain(model)).with_config(run_name="qbank_rag")
