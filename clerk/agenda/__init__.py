"""Agenda and papers: the items and the draft the Chair approves (:mod:`.items`), the Chair's
approval (:mod:`.approval`), business carried forward (:mod:`.carried`), papers
(:mod:`.papers`), circulation (:mod:`.circulation`), minutes (:mod:`.minutes`), declarations of
interest (:mod:`.declarations`), the record of a meeting (:mod:`.record`) and the published site
(:mod:`.publish`)."""
