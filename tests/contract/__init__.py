"""Contract checks of client and sandbox traffic against Portkey's OpenAPI spec."""
