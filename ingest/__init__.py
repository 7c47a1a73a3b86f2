"""Ingestion: load question banks, segment them into Q&A items, embed and index them."""
