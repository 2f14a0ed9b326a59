"""Ratification by email vote (:mod:`.ratification`), and a ballot recomputed from the audit
log alone (:mod:`.verify`)."""
