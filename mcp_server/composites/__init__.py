"""Hand-written tools: prompt-as-code composites and the local metadata check."""
