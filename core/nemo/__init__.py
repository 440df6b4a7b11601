"""Typed async client for the NemoVideo backend (httpx + httpx-sse)."""
