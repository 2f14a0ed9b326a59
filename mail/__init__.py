"""Pure understanding of incoming email: MIME decoding, quote stripping, automation checks, reply keys."""
