"""Benchmarks: synthetic banks, ingest/latency/memory measurement, ANN recall and a LangChain baseline (`python -m bench.run`)."""
