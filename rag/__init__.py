"""Retrieval, cited answers, LLM backends and mock-interview grading over a qbank index."""
