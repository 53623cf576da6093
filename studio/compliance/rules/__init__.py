"""Rule families by mechanism: `terms` (lexicon hits), `patterns` (regexes gated by trigger terms),
`required` (elements a product's copy must carry), `channel` (limits per channel); PII lives in `pii/`."""
