"""Tests of the engine against real-Portkey behaviour (recorded answers, Portkey's own clients, the changelog)."""
